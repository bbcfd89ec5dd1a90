// Client-side validation mirroring the bounds in docs/API.md. Keys are the same dotted
// paths the API uses in 422 `loc`s (without `body`), so server errors land on the same fields.
import type {
  CloudProvider,
  Dscp,
  HealthProbe,
  Priority,
  QosPolicy,
  QosPolicyInput,
  RouteTable,
  RouteTableInput,
  RoutingAlgorithm,
  SamplingStrategy,
  SpanExporter,
  TracingBackend,
  TracingConfig,
  TracingConfigInput,
} from '../../services/types';

export type Errors = Record<string, string>;

function text(e: Errors, key: string, v: string, max: number) {
  if (!v.trim()) e[key] = 'must not be empty';
  else if (v.trim().length > max) e[key] = `must be at most ${max} characters`;
}

/** Integer in [lo, hi]; '' allowed when optional. */
function intIn(e: Errors, key: string, v: string, lo: number, hi: number, optional = false) {
  if (v.trim() === '') {
    if (!optional) e[key] = 'is required';
    return;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) e[key] = `must be between ${lo} and ${hi}`;
}

function numIn(e: Errors, key: string, v: string, lo: number, hi: number, optional = false) {
  if (v.trim() === '') {
    if (!optional) e[key] = 'is required';
    return;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) e[key] = `must be between ${lo} and ${hi}`;
}

const optNum = (v: string): number | null => (v.trim() === '' ? null : Number(v));
const str = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(v));

/**
 * Mirror of the server's endpoint parser: a URL with scheme http, https, tcp, grpc or grpcs,
 * a host and a port (explicit or the scheme's default), or a bare host:port.
 * Returns an error message, or null when valid.
 */
export function endpointError(raw: string): string | null {
  const s = raw.trim();
  if (!s) return 'must not be empty';
  if (s.length > 255) return 'must be at most 255 characters';
  if (s.includes('://')) {
    const scheme = s.slice(0, s.indexOf('://')).toLowerCase();
    if (!['http', 'https', 'tcp', 'grpc', 'grpcs'].includes(scheme))
      return `unsupported URL scheme \`${scheme}\` (use http, https or tcp)`;
    let u: URL;
    try {
      // URL() knows no default port for tcp/grpc; parse them as http to read host and port.
      u = new URL(`http${s.slice(scheme.length)}`);
    } catch {
      return 'is not a valid URL';
    }
    if (!u.hostname) return 'URL has no host';
    const explicit = /^[a-z+.-]+:\/\/(\[[^\]]*\]|[^/:?#]*):(\d+)/i.test(s);
    if (!explicit && scheme === 'tcp') return 'URL has no port';
    return null;
  }
  const i = s.lastIndexOf(':');
  if (i < 0) return 'must be a URL or host:port';
  const host = s.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(s.slice(i + 1));
  if (!/^\d+$/.test(s.slice(i + 1)) || port < 1 || port > 65535) return 'port must be a number between 1 and 65535';
  if (!host) return 'must be a URL or host:port';
  if (/[\s/]/.test(host)) return 'host contains invalid characters';
  return null;
}

export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// QoS policy
// ---------------------------------------------------------------------------

export const PRIORITIES: Priority[] = ['P0', 'P1', 'P2', 'P3'];
export const DSCP_VALUES: Dscp[] = ['EF', 'AF41', 'AF31', 'AF21', 'AF11', 'BE'];

export interface QosForm {
  name: string;
  description: string;
  service_id: string;
  ingress_mbps: string;
  egress_mbps: string;
  burst_size_kb: string;
  priority: Priority;
  weight: string;
  max_latency_ms: string;
  dscp_marking: Dscp;
  enabled: boolean;
}

export const EMPTY_QOS: QosForm = {
  name: '',
  description: '',
  service_id: '',
  ingress_mbps: '',
  egress_mbps: '',
  burst_size_kb: '1024',
  priority: 'P2',
  weight: '50',
  max_latency_ms: '',
  dscp_marking: 'BE',
  enabled: true,
};

export function qosToForm(p: QosPolicy): QosForm {
  return {
    name: p.name,
    description: p.description ?? '',
    service_id: String(p.service_id),
    ingress_mbps: str(p.bandwidth.ingress_mbps),
    egress_mbps: str(p.bandwidth.egress_mbps),
    burst_size_kb: str(p.bandwidth.burst_size_kb),
    priority: p.priority_config.priority,
    weight: str(p.priority_config.weight),
    max_latency_ms: str(p.priority_config.max_latency_ms),
    dscp_marking: p.priority_config.dscp_marking,
    enabled: p.enabled,
  };
}

export function validateQos(f: QosForm): Errors {
  const e: Errors = {};
  text(e, 'name', f.name, 100);
  if (f.description.length > 2000) e.description = 'must be at most 2000 characters';
  if (!f.service_id) e.service_id = 'choose a service';
  intIn(e, 'bandwidth.ingress_mbps', f.ingress_mbps, 1, 100000, true);
  intIn(e, 'bandwidth.egress_mbps', f.egress_mbps, 1, 100000, true);
  intIn(e, 'bandwidth.burst_size_kb', f.burst_size_kb, 1, 10240);
  if (!PRIORITIES.includes(f.priority)) e['priority_config.priority'] = 'must be one of P0, P1, P2, P3';
  intIn(e, 'priority_config.weight', f.weight, 1, 100);
  intIn(e, 'priority_config.max_latency_ms', f.max_latency_ms, 1, 60_000, true);
  if (!DSCP_VALUES.includes(f.dscp_marking)) e['priority_config.dscp_marking'] = 'invalid DSCP marking';
  return e;
}

export function qosToInput(f: QosForm, clusterId: number): QosPolicyInput {
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    service_id: Number(f.service_id),
    cluster_id: clusterId,
    bandwidth: {
      ingress_mbps: optNum(f.ingress_mbps),
      egress_mbps: optNum(f.egress_mbps),
      burst_size_kb: Number(f.burst_size_kb),
    },
    priority_config: {
      priority: f.priority,
      weight: Number(f.weight),
      max_latency_ms: optNum(f.max_latency_ms),
      dscp_marking: f.dscp_marking,
    },
    enabled: f.enabled,
  };
}

// ---------------------------------------------------------------------------
// Route table
// ---------------------------------------------------------------------------

export const PROVIDERS: CloudProvider[] = ['aws', 'gcp', 'azure', 'on_prem'];
export const ALGORITHMS: RoutingAlgorithm[] = ['latency', 'cost', 'geo', 'weighted_rr', 'failover'];
export const PROBE_PROTOCOLS: HealthProbe['protocol'][] = ['tcp', 'http', 'https', 'icmp'];

export interface RouteForm {
  provider: CloudProvider;
  region: string;
  endpoint: string;
  weight: string;
  cost_per_gb: string;
  is_active: boolean;
  priority: string;
}

export interface RouteTableForm {
  name: string;
  description: string;
  service_id: string;
  algorithm: RoutingAlgorithm;
  routes: RouteForm[];
  probe_protocol: HealthProbe['protocol'];
  probe_port: string;
  probe_path: string;
  interval_seconds: string;
  timeout_seconds: string;
  unhealthy_threshold: string;
  healthy_threshold: string;
  enable_auto_failover: boolean;
  enabled: boolean;
}

export const EMPTY_ROUTE: RouteForm = {
  provider: 'aws',
  region: '',
  endpoint: '',
  weight: '50',
  cost_per_gb: '',
  is_active: true,
  priority: '',
};

export const EMPTY_ROUTE_TABLE: RouteTableForm = {
  name: '',
  description: '',
  service_id: '',
  algorithm: 'latency',
  routes: [{ ...EMPTY_ROUTE }, { ...EMPTY_ROUTE, provider: 'gcp' }],
  probe_protocol: 'tcp',
  probe_port: '',
  probe_path: '',
  interval_seconds: '10',
  timeout_seconds: '5',
  unhealthy_threshold: '3',
  healthy_threshold: '2',
  enable_auto_failover: true,
  enabled: true,
};

export function routeTableToForm(t: RouteTable): RouteTableForm {
  return {
    name: t.name,
    description: t.description ?? '',
    service_id: String(t.service_id),
    algorithm: t.algorithm,
    routes: t.routes.map((r) => ({
      provider: r.provider,
      region: r.region,
      endpoint: r.endpoint,
      weight: str(r.weight),
      cost_per_gb: str(r.cost_per_gb),
      is_active: r.is_active,
      priority: str(r.priority),
    })),
    probe_protocol: t.health_probe.protocol,
    probe_port: str(t.health_probe.port),
    probe_path: t.health_probe.path ?? '',
    interval_seconds: str(t.health_probe.interval_seconds),
    timeout_seconds: str(t.health_probe.timeout_seconds),
    unhealthy_threshold: str(t.health_probe.unhealthy_threshold),
    healthy_threshold: str(t.health_probe.healthy_threshold),
    enable_auto_failover: t.enable_auto_failover,
    enabled: t.enabled,
  };
}

export function validateRouteTable(f: RouteTableForm): Errors {
  const e: Errors = {};
  text(e, 'name', f.name, 100);
  if (f.description.length > 2000) e.description = 'must be at most 2000 characters';
  if (!f.service_id) e.service_id = 'choose a service';
  if (f.routes.length === 0 || f.routes.length > 20) e.routes = 'must contain between 1 and 20 routes';
  else if (!f.routes.some((r) => r.is_active)) e.routes = 'at least one route must be active';
  const seen = new Set<string>();
  f.routes.forEach((r, i) => {
    const k = `routes.${i}`;
    if (!PROVIDERS.includes(r.provider)) e[`${k}.provider`] = 'invalid provider';
    text(e, `${k}.region`, r.region, 64);
    const epErr = endpointError(r.endpoint);
    if (epErr) e[`${k}.endpoint`] = epErr;
    else if (seen.has(r.endpoint.trim())) e[`${k}.endpoint`] = 'duplicate endpoint in this route table';
    seen.add(r.endpoint.trim());
    intIn(e, `${k}.weight`, r.weight, 1, 100);
    numIn(e, `${k}.cost_per_gb`, r.cost_per_gb, 0, 1000, f.algorithm !== 'cost');
    if (f.algorithm === 'cost' && r.cost_per_gb.trim() === '')
      e[`${k}.cost_per_gb`] = 'is required on every route when algorithm is cost';
    intIn(e, `${k}.priority`, r.priority, 0, 1000, true);
  });
  if (!PROBE_PROTOCOLS.includes(f.probe_protocol)) e['health_probe.protocol'] = 'invalid protocol';
  intIn(e, 'health_probe.port', f.probe_port, 1, 65535, true);
  if (f.probe_protocol === 'http' || f.probe_protocol === 'https') {
    const p = f.probe_path.trim();
    if (p && (!p.startsWith('/') || p.length > 1024 || /\s/.test(p)))
      e['health_probe.path'] = 'must be an absolute path without spaces';
  }
  intIn(e, 'health_probe.interval_seconds', f.interval_seconds, 1, 3600);
  intIn(e, 'health_probe.timeout_seconds', f.timeout_seconds, 1, 3600);
  if (
    !e['health_probe.interval_seconds'] &&
    !e['health_probe.timeout_seconds'] &&
    Number(f.timeout_seconds) >= Number(f.interval_seconds)
  ) {
    e['health_probe.timeout_seconds'] = 'must be less than interval_seconds';
  }
  intIn(e, 'health_probe.unhealthy_threshold', f.unhealthy_threshold, 1, 100);
  intIn(e, 'health_probe.healthy_threshold', f.healthy_threshold, 1, 100);
  return e;
}

export function routeTableToInput(f: RouteTableForm, clusterId: number): RouteTableInput {
  const http = f.probe_protocol === 'http' || f.probe_protocol === 'https';
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    service_id: Number(f.service_id),
    cluster_id: clusterId,
    algorithm: f.algorithm,
    routes: f.routes.map((r) => ({
      provider: r.provider,
      region: r.region.trim(),
      endpoint: r.endpoint.trim(),
      weight: Number(r.weight),
      cost_per_gb: optNum(r.cost_per_gb),
      is_active: r.is_active,
      priority: optNum(r.priority),
      latitude: null,
      longitude: null,
    })),
    health_probe: {
      protocol: f.probe_protocol,
      port: optNum(f.probe_port),
      path: http ? f.probe_path.trim() || '/health' : null,
      interval_seconds: Number(f.interval_seconds),
      timeout_seconds: Number(f.timeout_seconds),
      unhealthy_threshold: Number(f.unhealthy_threshold),
      healthy_threshold: Number(f.healthy_threshold),
    },
    enable_auto_failover: f.enable_auto_failover,
    enabled: f.enabled,
  };
}

// ---------------------------------------------------------------------------
// Tracing config
// ---------------------------------------------------------------------------

export const BACKENDS: TracingBackend[] = ['jaeger', 'zipkin', 'otlp'];
export const EXPORTERS: SpanExporter[] = ['grpc', 'http', 'thrift'];
export const STRATEGIES: SamplingStrategy[] = [
  'always',
  'never',
  'probabilistic',
  'rate_limit',
  'error_only',
  'adaptive',
];

export interface TracingForm {
  name: string;
  description: string;
  cluster_id: string;
  backend: TracingBackend;
  endpoint: string;
  exporter: SpanExporter;
  sampling_strategy: SamplingStrategy;
  sampling_rate: string;
  max_traces_per_second: string;
  include_request_headers: boolean;
  include_response_headers: boolean;
  include_request_body: boolean;
  include_response_body: boolean;
  max_attribute_length: string;
  service_name: string;
  custom_tags: string;
  query_url: string;
  enabled: boolean;
}

export const EMPTY_TRACING: TracingForm = {
  name: '',
  description: '',
  cluster_id: '',
  backend: 'otlp',
  endpoint: '',
  exporter: 'http',
  sampling_strategy: 'probabilistic',
  sampling_rate: '0.1',
  max_traces_per_second: '',
  include_request_headers: false,
  include_response_headers: false,
  include_request_body: false,
  include_response_body: false,
  max_attribute_length: '512',
  service_name: 'marchproxy',
  custom_tags: '',
  query_url: '',
  enabled: true,
};

export function tracingToForm(c: TracingConfig): TracingForm {
  return {
    name: c.name,
    description: c.description ?? '',
    cluster_id: String(c.cluster_id),
    backend: c.backend,
    endpoint: c.endpoint,
    exporter: c.exporter,
    sampling_strategy: c.sampling_strategy,
    sampling_rate: str(c.sampling_rate),
    max_traces_per_second: str(c.max_traces_per_second),
    include_request_headers: c.include_request_headers,
    include_response_headers: c.include_response_headers,
    include_request_body: c.include_request_body,
    include_response_body: c.include_response_body,
    max_attribute_length: str(c.max_attribute_length),
    service_name: c.service_name,
    custom_tags: Object.entries(c.custom_tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    query_url: c.query_url ?? '',
    enabled: c.enabled,
  };
}

/** "env=prod, team=edge" -> {env:"prod", team:"edge"}; null when empty; throws on a malformed pair. */
export function parseTags(s: string): Record<string, string> | null {
  const pairs = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (pairs.length === 0) return null;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`“${p}” is not key=value`);
    out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

export function validateTracing(f: TracingForm): Errors {
  const e: Errors = {};
  text(e, 'name', f.name, 100);
  if (f.description.length > 2000) e.description = 'must be at most 2000 characters';
  if (!f.cluster_id) e.cluster_id = 'choose a cluster';
  const ep = f.endpoint.trim();
  const epErr = endpointError(ep);
  if (epErr) e.endpoint = epErr;
  else if (f.exporter !== 'grpc' && !isHttpUrl(ep)) e.endpoint = 'must be an http:// or https:// URL for this exporter';
  if (f.backend === 'zipkin' && f.exporter !== 'http')
    e.exporter = 'zipkin accepts only the `http` exporter (Zipkin v2 JSON)';
  if (f.backend === 'otlp' && f.exporter === 'thrift')
    e.exporter = 'otlp accepts `grpc` or `http`; thrift is Jaeger-only';
  numIn(e, 'sampling_rate', f.sampling_rate, 0, 1);
  intIn(e, 'max_traces_per_second', f.max_traces_per_second, 1, 100000, true);
  if (!e.max_traces_per_second && f.sampling_strategy === 'rate_limit' && f.max_traces_per_second.trim() === '')
    e.max_traces_per_second = 'is required when sampling_strategy is rate_limit';
  intIn(e, 'max_attribute_length', f.max_attribute_length, 16, 65536);
  text(e, 'service_name', f.service_name, 100);
  try {
    const tags = parseTags(f.custom_tags);
    if (tags && Object.keys(tags).length > 64) e.custom_tags = 'at most 64 tags';
    else if (tags && Object.entries(tags).some(([k, v]) => k.length > 128 || v.length > 1024))
      e.custom_tags = 'tag names must be 1-128 characters and values at most 1024';
  } catch (err) {
    e.custom_tags = (err as Error).message;
  }
  if (f.query_url.trim() && !isHttpUrl(f.query_url.trim())) e.query_url = 'must be an http:// or https:// URL';
  return e;
}

export function tracingToInput(f: TracingForm): TracingConfigInput {
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    cluster_id: Number(f.cluster_id),
    backend: f.backend,
    endpoint: f.endpoint.trim(),
    exporter: f.exporter,
    sampling_strategy: f.sampling_strategy,
    sampling_rate: Number(f.sampling_rate),
    max_traces_per_second: optNum(f.max_traces_per_second),
    include_request_headers: f.include_request_headers,
    include_response_headers: f.include_response_headers,
    include_request_body: f.include_request_body,
    include_response_body: f.include_response_body,
    max_attribute_length: Number(f.max_attribute_length),
    service_name: f.service_name.trim(),
    custom_tags: parseTags(f.custom_tags),
    query_url: f.query_url.trim() || null,
    enabled: f.enabled,
  };
}
