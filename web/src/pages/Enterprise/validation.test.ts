import { describe, expect, it } from 'vitest';
import {
  EMPTY_QOS,
  EMPTY_ROUTE_TABLE,
  EMPTY_TRACING,
  endpointError,
  parseTags,
  qosToInput,
  routeTableToInput,
  tracingToInput,
  validateQos,
  validateRouteTable,
  validateTracing,
  type QosForm,
  type RouteTableForm,
  type TracingForm,
} from './validation';

const qos = (o: Partial<QosForm> = {}): QosForm => ({ ...EMPTY_QOS, name: 'gold', service_id: '1', ...o });

describe('validateQos', () => {
  it('accepts a valid policy and builds the API body', () => {
    expect(validateQos(qos({ ingress_mbps: '100', egress_mbps: '100000' }))).toEqual({});
    const body = qosToInput(qos({ ingress_mbps: '100', max_latency_ms: '' }), 4);
    expect(body.bandwidth).toEqual({ ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024 });
    expect(body.priority_config).toEqual({ priority: 'P2', weight: 50, max_latency_ms: null, dscp_marking: 'BE' });
    expect(body.cluster_id).toBe(4);
  });

  it('enforces the bounds of docs/API.md', () => {
    const e = validateQos(
      qos({
        name: ' ',
        service_id: '',
        ingress_mbps: '0',
        egress_mbps: '100001',
        burst_size_kb: '10241',
        weight: '101',
        max_latency_ms: '60001',
      }),
    );
    expect(e.name).toBe('must not be empty');
    expect(e.service_id).toBeDefined();
    expect(e['bandwidth.ingress_mbps']).toBe('must be between 1 and 100000');
    expect(e['bandwidth.egress_mbps']).toBe('must be between 1 and 100000');
    expect(e['bandwidth.burst_size_kb']).toBe('must be between 1 and 10240');
    expect(e['priority_config.weight']).toBe('must be between 1 and 100');
    expect(e['priority_config.max_latency_ms']).toBeDefined();
  });

  it('rejects non-integers and an empty burst', () => {
    const e = validateQos(qos({ ingress_mbps: '1.5', burst_size_kb: '', weight: 'abc' }));
    expect(Object.keys(e).sort()).toEqual([
      'bandwidth.burst_size_kb',
      'bandwidth.ingress_mbps',
      'priority_config.weight',
    ]);
  });
});

const rt = (o: Partial<RouteTableForm> = {}): RouteTableForm => ({
  ...EMPTY_ROUTE_TABLE,
  name: 'edge',
  service_id: '2',
  routes: [
    { ...EMPTY_ROUTE_TABLE.routes[0], region: 'us-east-1', endpoint: 'https://a.example.com:443' },
    {
      ...EMPTY_ROUTE_TABLE.routes[1],
      region: 'europe-west1',
      endpoint: 'https://b.example.com:443',
      cost_per_gb: '0.08',
    },
  ],
  ...o,
});

describe('validateRouteTable', () => {
  it('accepts a valid table and builds the API body', () => {
    expect(validateRouteTable(rt())).toEqual({});
    const body = routeTableToInput(rt(), 1);
    expect(body.routes[1]).toMatchObject({ provider: 'gcp', cost_per_gb: 0.08, weight: 50, latitude: null });
    expect(body.health_probe).toMatchObject({ protocol: 'tcp', path: null, interval_seconds: 10 });
  });

  it('keys endpoint errors by index like the API', () => {
    const f = rt();
    f.routes[0] = { ...f.routes[0], endpoint: 'not a url', weight: '0', region: '' };
    f.routes[1] = { ...f.routes[1], endpoint: 'https://a.example.com:443' };
    const e = validateRouteTable(f);
    expect(e['routes.0.endpoint']).toMatch(/URL/);
    expect(e['routes.0.weight']).toBe('must be between 1 and 100');
    expect(e['routes.0.region']).toBe('must not be empty');
    expect(e['routes.1.endpoint']).toBeUndefined();
  });

  it('flags duplicates, no endpoints, and probe timing', () => {
    const f = rt();
    f.routes[1] = { ...f.routes[1], endpoint: f.routes[0].endpoint };
    expect(validateRouteTable(f)['routes.1.endpoint']).toBe('duplicate endpoint in this route table');
    expect(validateRouteTable(rt({ routes: [] })).routes).toBeDefined();
    expect(
      validateRouteTable(rt({ timeout_seconds: '10', interval_seconds: '10' }))['health_probe.timeout_seconds'],
    ).toBe('must be less than interval_seconds');
    const inactive = rt();
    inactive.routes = inactive.routes.map((r) => ({ ...r, is_active: false }));
    expect(validateRouteTable(inactive).routes).toBe('at least one route must be active');
    expect(validateRouteTable(rt({ algorithm: 'cost' }))['routes.0.cost_per_gb']).toMatch(/required/);
    expect(validateRouteTable(rt({ probe_protocol: 'http', probe_path: 'health' }))['health_probe.path']).toBeDefined();
    expect(validateRouteTable(rt({ probe_port: '70000' }))['health_probe.port']).toBe('must be between 1 and 65535');
  });
});

const tr = (o: Partial<TracingForm> = {}): TracingForm => ({
  ...EMPTY_TRACING,
  name: 'jaeger',
  cluster_id: '1',
  endpoint: 'http://127.0.0.1:4318',
  ...o,
});

describe('endpointError', () => {
  it('accepts what the server accepts', () => {
    for (const ok of [
      'https://a.example.com:443',
      'http://10.0.0.1',
      'tcp://db:5432',
      'grpc://collector',
      'db.internal:5432',
      '[::1]:8080',
    ])
      expect(endpointError(ok)).toBeNull();
  });
  it('rejects what the server rejects', () => {
    expect(endpointError('')).toBe('must not be empty');
    expect(endpointError('ftp://x:21')).toMatch(/unsupported URL scheme/);
    expect(endpointError('tcp://db')).toBe('URL has no port');
    expect(endpointError('justahost')).toBe('must be a URL or host:port');
    expect(endpointError('host:99999')).toMatch(/port must be/);
  });
});

describe('validateTracing', () => {
  it('accepts a valid config and builds the API body', () => {
    expect(validateTracing(tr())).toEqual({});
    const body = tracingToInput(tr({ custom_tags: 'env=prod, team=edge' }));
    expect(body.custom_tags).toEqual({ env: 'prod', team: 'edge' });
    expect(body.sampling_rate).toBe(0.1);
    expect(body.max_traces_per_second).toBeNull();
    expect(body.query_url).toBeNull();
  });

  it('mirrors the server rules', () => {
    const e = validateTracing(
      tr({
        backend: 'zipkin',
        exporter: 'thrift',
        sampling_rate: '1.5',
        sampling_strategy: 'rate_limit',
        max_attribute_length: '8',
      }),
    );
    expect(e.exporter).toMatch(/zipkin/);
    expect(e.sampling_rate).toBe('must be between 0 and 1');
    expect(e.max_traces_per_second).toMatch(/required/);
    expect(e.max_attribute_length).toBe('must be between 16 and 65536');
    expect(validateTracing(tr({ backend: 'otlp', exporter: 'thrift' })).exporter).toMatch(/Jaeger-only/);
    expect(validateTracing(tr({ endpoint: 'collector:4318' })).endpoint).toMatch(/http/);
    expect(validateTracing(tr({ exporter: 'grpc', endpoint: 'collector:4317' })).endpoint).toBeUndefined();
    expect(validateTracing(tr({ query_url: 'ftp://x' })).query_url).toBeDefined();
    expect(validateTracing(tr({ custom_tags: 'novalue' })).custom_tags).toMatch(/key=value/);
  });

  it('parses tags', () => {
    expect(parseTags('')).toBeNull();
    expect(parseTags('a=1,b = 2')).toEqual({ a: '1', b: '2' });
    expect(() => parseTags('=x')).toThrow();
  });
});
