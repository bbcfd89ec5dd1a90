// The route table form: its fields as typed, validation mirroring the API's bounds (docs/API.md), and the
// conversions from a stored route table and to the API body.
import { endpointError, intIn, numIn, optNum, str, text, type Errors } from '@/utils/validation';
import type {
  CloudProvider,
  ProbeProtocol,
  RouteTable,
  RouteTableInput,
  RoutingAlgorithm,
  UpstreamProtocol,
} from '../types';

export const PROVIDERS: CloudProvider[] = ['aws', 'gcp', 'azure', 'on_prem'];
export const ALGORITHMS: RoutingAlgorithm[] = ['latency', 'cost', 'geo', 'weighted_rr', 'failover'];
export const PROBE_PROTOCOLS: ProbeProtocol[] = ['tcp', 'http', 'https', 'icmp', 'grpc'];

export interface RouteForm {
  provider: CloudProvider;
  region: string;
  endpoint: string;
  weight: string;
  cost_per_gb: string;
  is_active: boolean;
  priority: string;
  /** '' = by the endpoint's scheme (grpc/grpcs: HTTP/2, http/https: HTTP/1.1). */
  upstream_protocol: '' | UpstreamProtocol;
}

export interface RouteTableForm {
  name: string;
  description: string;
  service_id: string;
  algorithm: RoutingAlgorithm;
  routes: RouteForm[];
  probe_protocol: ProbeProtocol;
  probe_port: string;
  probe_path: string;
  grpc_service: string;
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
  upstream_protocol: '',
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
  grpc_service: '',
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
      upstream_protocol: r.upstream_protocol ?? '',
    })),
    probe_protocol: t.health_probe.protocol,
    probe_port: str(t.health_probe.port),
    probe_path: t.health_probe.path ?? '',
    grpc_service: t.health_probe.grpc_service ?? '',
    interval_seconds: str(t.health_probe.interval_seconds),
    timeout_seconds: str(t.health_probe.timeout_seconds),
    unhealthy_threshold: str(t.health_probe.unhealthy_threshold),
    healthy_threshold: str(t.health_probe.healthy_threshold),
    enable_auto_failover: t.enable_auto_failover,
    enabled: t.enabled,
  };
}

/** The endpoint's scheme, lower-cased; a bare host:port is a TCP endpoint. */
function endpointScheme(endpoint: string): string {
  const s = endpoint.trim();
  return s.includes('://') ? s.slice(0, s.indexOf('://')).toLowerCase() : 'tcp';
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
    if (r.upstream_protocol && !epErr) {
      const scheme = endpointScheme(r.endpoint);
      if (scheme === 'tcp') e[`${k}.upstream_protocol`] = 'applies to http(s) and grpc(s) endpoints, not to TCP ones';
      else if (r.upstream_protocol === 'http1' && (scheme === 'grpc' || scheme === 'grpcs'))
        e[`${k}.upstream_protocol`] = 'gRPC endpoints need http2';
    }
  });
  if (!PROBE_PROTOCOLS.includes(f.probe_protocol)) e['health_probe.protocol'] = 'invalid protocol';
  intIn(e, 'health_probe.port', f.probe_port, 1, 65535, true);
  if (f.probe_protocol === 'http' || f.probe_protocol === 'https') {
    const p = f.probe_path.trim();
    if (p && (!p.startsWith('/') || p.length > 1024 || /\s/.test(p)))
      e['health_probe.path'] = 'must be an absolute path without spaces';
  }
  if (f.probe_protocol === 'grpc') {
    const svc = f.grpc_service.trim();
    if (svc.length > 255 || !/^[A-Za-z0-9._/-]*$/.test(svc))
      e['health_probe.grpc_service'] = 'must be a gRPC service name (letters, digits, . _ - /), at most 255 characters';
  }
  intIn(e, 'health_probe.interval_seconds', f.interval_seconds, 1, 3600);
  // A timeout above the interval is allowed: a probe then waits one interval (the server's rule).
  intIn(e, 'health_probe.timeout_seconds', f.timeout_seconds, 1, 3600);
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
      upstream_protocol: r.upstream_protocol || null,
      latitude: null,
      longitude: null,
    })),
    health_probe: {
      protocol: f.probe_protocol,
      port: optNum(f.probe_port),
      path: http ? f.probe_path.trim() || '/health' : null,
      grpc_service: f.probe_protocol === 'grpc' ? f.grpc_service.trim() || null : null,
      interval_seconds: Number(f.interval_seconds),
      timeout_seconds: Number(f.timeout_seconds),
      unhealthy_threshold: Number(f.unhealthy_threshold),
      healthy_threshold: Number(f.healthy_threshold),
    },
    enable_auto_failover: f.enable_auto_failover,
    enabled: f.enabled,
  };
}
