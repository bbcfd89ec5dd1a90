import { describe, expect, it } from 'vitest';
import type { RouteTable } from '../types';
import {
  EMPTY_ROUTE_TABLE,
  routeTableToForm,
  routeTableToInput,
  validateRouteTable,
  type RouteTableForm,
} from './route-table-form';

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
    ).toBeUndefined();
    expect(validateRouteTable(rt({ timeout_seconds: '3601' }))['health_probe.timeout_seconds']).toBe(
      'must be between 1 and 3600',
    );
    const inactive = rt();
    inactive.routes = inactive.routes.map((r) => ({ ...r, is_active: false }));
    expect(validateRouteTable(inactive).routes).toBe('at least one route must be active');
    expect(validateRouteTable(rt({ algorithm: 'cost' }))['routes.0.cost_per_gb']).toMatch(/required/);
    expect(validateRouteTable(rt({ probe_protocol: 'http', probe_path: 'health' }))['health_probe.path']).toBeDefined();
    expect(validateRouteTable(rt({ probe_port: '70000' }))['health_probe.port']).toBe('must be between 1 and 65535');
  });

  it('validates the gRPC service name like the server, only for grpc probes', () => {
    const key = 'health_probe.grpc_service';
    expect(validateRouteTable(rt({ probe_protocol: 'grpc' }))).toEqual({});
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'pkg.v1.Svc_a-b/x' }))).toEqual({});
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'my service' }))[key]).toMatch(/gRPC service/);
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'svc!' }))[key]).toBeDefined();
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'é' }))[key]).toBeDefined();
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'a'.repeat(255) }))[key]).toBeUndefined();
    expect(validateRouteTable(rt({ probe_protocol: 'grpc', grpc_service: 'a'.repeat(256) }))[key]).toBeDefined();
    // a leftover value is ignored (and not sent) once the protocol is no longer grpc
    expect(validateRouteTable(rt({ probe_protocol: 'tcp', grpc_service: 'svc!' }))[key]).toBeUndefined();
    expect(
      routeTableToInput(rt({ probe_protocol: 'tcp', grpc_service: 'svc' }), 1).health_probe?.grpc_service,
    ).toBeNull();
  });

  it('checks the upstream protocol against the endpoint scheme like the server', () => {
    const key = 'routes.0.upstream_protocol';
    const on = (endpoint: string, upstream_protocol: RouteTableForm['routes'][number]['upstream_protocol']) => {
      const f = rt();
      f.routes[0] = { ...f.routes[0], endpoint, upstream_protocol };
      return validateRouteTable(f)[key];
    };
    expect(on('https://a.example.com:443', 'http2')).toBeUndefined();
    expect(on('http://a.example.com:8080', 'http1')).toBeUndefined();
    expect(on('grpc://a.example.com:50051', 'http2')).toBeUndefined();
    expect(on('GRPCS://a.example.com:443', 'http1')).toBe('gRPC endpoints need http2');
    expect(on('grpc://a.example.com:50051', 'http1')).toBe('gRPC endpoints need http2');
    const tcp = 'applies to http(s) and grpc(s) endpoints, not to TCP ones';
    expect(on('tcp://a.example.com:5432', 'http2')).toBe(tcp);
    expect(on('a.example.com:5432', 'http1')).toBe(tcp);
    // by scheme is fine everywhere; a broken endpoint reports only its own error
    expect(on('a.example.com:5432', '')).toBeUndefined();
    expect(on('not a url', 'http2')).toBeUndefined();
  });
});

describe('routeTableToInput / routeTableToForm', () => {
  const stored = (f: RouteTableForm): RouteTable =>
    ({ ...routeTableToInput(f, 1), id: 7, created_at: '', updated_at: '' }) as RouteTable;

  it('round-trips a grpc probe with its service', () => {
    const f = rt({ probe_protocol: 'grpc', grpc_service: ' grpc.health.v1.Health ', probe_port: '50051' });
    const body = routeTableToInput(f, 1);
    expect(body.health_probe).toMatchObject({
      protocol: 'grpc',
      grpc_service: 'grpc.health.v1.Health',
      port: 50051,
      path: null,
    });
    expect(routeTableToForm(stored(f))).toEqual({ ...f, grpc_service: 'grpc.health.v1.Health' });
  });

  it('sends no service for an empty one (the whole server) and reads a missing one as empty', () => {
    const f = rt({ probe_protocol: 'grpc' });
    expect(routeTableToInput(f, 1).health_probe?.grpc_service).toBeNull();
    expect(routeTableToForm(stored(f))).toEqual(f);
    // an older server leaves the field out
    const t = stored(f);
    const probe: Partial<RouteTable['health_probe']> = { ...t.health_probe };
    delete probe.grpc_service;
    expect(routeTableToForm({ ...t, health_probe: probe } as RouteTable).grpc_service).toBe('');
  });

  it('sends null for by scheme, round-trips a chosen protocol, and reads a missing one as by scheme', () => {
    const f = rt();
    f.routes[1] = { ...f.routes[1], upstream_protocol: 'http2' };
    const body = routeTableToInput(f, 1);
    expect(body.routes.map((r) => r.upstream_protocol)).toEqual([null, 'http2']);
    expect(routeTableToForm(stored(f))).toEqual(f);
    // an older server leaves the field out
    const t = stored(f);
    const routes = t.routes.map((r) => {
      const x: Partial<RouteTable['routes'][number]> = { ...r };
      delete x.upstream_protocol;
      return x;
    });
    expect(routeTableToForm({ ...t, routes } as RouteTable).routes.map((r) => r.upstream_protocol)).toEqual(['', '']);
  });

  it('keeps the path for http probes only', () => {
    const f = rt({ probe_protocol: 'https', probe_path: '/ready' });
    expect(routeTableToInput(f, 1).health_probe).toMatchObject({ path: '/ready', grpc_service: null });
    expect(routeTableToForm(stored(f))).toEqual(f);
  });
});
