// Types of the control-plane API (docs/API.md).

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface User {
  id: number;
  username: string;
  role: 'admin' | 'viewer';
  created_at: string;
}

export type Feature = 'traffic_shaping' | 'multi_cloud_routing' | 'distributed_tracing';

export interface LicenseStatus {
  tier: 'development' | 'community' | 'enterprise';
  valid: boolean;
  features: string[];
  limits: { max_proxies: number | null } & Record<string, number | null>;
  expires_at: string | null;
  source: 'development' | 'none' | 'license_server' | 'grace_cache' | 'offline_file' | string;
  key_hint: string | null;
  last_validated_at: string | null;
  message: string | null;
  release_mode: boolean;
}

export interface Health {
  status: string;
}
export interface Ready {
  status: string;
  database: string;
}

export interface Cluster {
  id: number;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}
export interface ClusterCreated extends Cluster {
  api_key: string;
}
export interface ClusterInput {
  name: string;
  description?: string | null;
}

export type ServiceProtocol = 'http' | 'https' | 'tcp';
export interface Service {
  id: number;
  name: string;
  description: string | null;
  cluster_id: number;
  hostnames: string[];
  path_prefix: string;
  protocol: ServiceProtocol;
  listen_port: number | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}
export interface ServiceInput {
  name: string;
  description?: string | null;
  cluster_id: number;
  hostnames: string[];
  path_prefix: string;
  protocol: ServiceProtocol;
  listen_port: number | null;
  enabled: boolean;
}

export interface Proxy {
  id: number;
  cluster_id: number;
  name: string;
  version: string;
  address: string;
  status: 'online' | 'offline';
  last_seen: string | null;
  config_version: number | string | null;
  registered_at: string;
}

// Traffic shaping
export type Priority = 'P0' | 'P1' | 'P2' | 'P3';
export type Dscp = 'EF' | 'AF41' | 'AF31' | 'AF21' | 'AF11' | 'BE';
export interface QosPolicyInput {
  name: string;
  description: string | null;
  service_id: number;
  cluster_id: number;
  bandwidth: {
    ingress_mbps: number | null;
    egress_mbps: number | null;
    burst_size_kb: number;
  };
  priority_config: {
    priority: Priority;
    weight: number;
    max_latency_ms: number | null;
    dscp_marking: Dscp;
  };
  enabled: boolean;
}
export interface QosPolicy extends QosPolicyInput {
  id: number;
  created_at: string;
  updated_at: string;
}
export interface QosStats {
  policy_id: number;
  bytes_passed: number;
  bytes_delayed: number;
  current_rate_mbps: number;
  delay_ms: Partial<Record<Priority, { p50: number; p99: number }>>;
  sla_violations: number;
  /** Proxies whose reports make up these figures (0 = no proxy has reported yet). */
  proxies_reporting: number;
  updated_at: string | null;
}

// Multi-cloud
export type CloudProvider = 'aws' | 'gcp' | 'azure' | 'on_prem';
export type RoutingAlgorithm = 'latency' | 'cost' | 'geo' | 'weighted_rr' | 'failover';
export interface CloudRoute {
  provider: CloudProvider;
  region: string;
  endpoint: string;
  weight: number;
  cost_per_gb: number | null;
  is_active: boolean;
  priority: number | null;
  latitude: number | null;
  longitude: number | null;
}
export interface HealthProbe {
  protocol: 'tcp' | 'http' | 'https' | 'icmp';
  port: number | null;
  path: string | null;
  interval_seconds: number;
  timeout_seconds: number;
  unhealthy_threshold: number;
  healthy_threshold: number;
}
export interface RouteTableInput {
  name: string;
  description: string | null;
  service_id: number;
  cluster_id: number;
  algorithm: RoutingAlgorithm;
  routes: CloudRoute[];
  health_probe: HealthProbe;
  enable_auto_failover: boolean;
  enabled: boolean;
}
export interface RouteTable extends RouteTableInput {
  id: number;
  created_at: string;
  updated_at: string;
}
export interface EndpointHealth {
  endpoint: string;
  provider: CloudProvider;
  region: string;
  is_healthy: boolean;
  last_check: string | null;
  rtt_ms: number | null;
  consecutive_failures: number;
  consecutive_successes: number;
  last_error: string | null;
}
export interface FailoverRequest {
  endpoint?: string;
  dry_run?: boolean;
  duration_seconds?: number;
}
export interface FailoverResult {
  route_table_id: number;
  dry_run: boolean;
  removed_endpoint: string;
  failover_target: string | null;
  switch_time_ms: number | null;
  failed_requests: number | null;
  traffic_moved: boolean | null;
  restored: boolean;
  message: string;
}
export interface CostRow {
  egress_bytes: number;
  cost: number;
  requests: number;
}
export interface CostAnalytics {
  start: string;
  end: string;
  total_cost: number;
  total_egress_gb: number;
  by_provider: (CostRow & { provider: string })[];
  by_service: (CostRow & { service_id: number; service_name: string })[];
  by_region: (CostRow & { provider: string; region: string })[];
  daily: (CostRow & { date: string })[];
}

// Observability
export type TracingBackend = 'jaeger' | 'zipkin' | 'otlp';
export type SpanExporter = 'grpc' | 'http' | 'thrift';
export type SamplingStrategy = 'always' | 'never' | 'probabilistic' | 'rate_limit' | 'error_only' | 'adaptive';
export interface TracingConfigInput {
  name: string;
  description: string | null;
  cluster_id: number;
  backend: TracingBackend;
  endpoint: string;
  exporter: SpanExporter;
  sampling_strategy: SamplingStrategy;
  sampling_rate: number;
  max_traces_per_second: number | null;
  include_request_headers: boolean;
  include_response_headers: boolean;
  include_request_body: boolean;
  include_response_body: boolean;
  max_attribute_length: number;
  service_name: string;
  custom_tags: Record<string, string> | null;
  query_url: string | null;
  enabled: boolean;
}
export interface TracingConfig extends TracingConfigInput {
  id: number;
  created_at: string;
  updated_at: string;
}
export interface TracingStats {
  tracing_config_id: number;
  spans_started: number;
  spans_sampled: number;
  spans_exported: number;
  spans_dropped: number;
  spans_errored: number;
  avg_span_duration_ms: number | null;
  effective_sampling_rate: number | null;
  last_export_at: string | null;
  last_export_error: string | null;
  proxies_reporting: number;
  updated_at: string | null;
}
export interface TracingTestResult {
  success: boolean;
  latency_ms: number;
  backend: string;
  exporter: string;
  endpoint: string;
  trace_id: string;
  error: string | null;
}
export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  service: string;
  operation: string;
  kind: string;
  start_time: string;
  duration_ms: number;
  status: 'ok' | 'error';
  attributes: Record<string, unknown>;
  source: string;
}
export interface SpanSearchParams {
  service?: string;
  operation?: string;
  tags?: string;
  has_error?: boolean;
  min_duration_ms?: number;
  max_duration_ms?: number;
  start?: string;
  end?: string;
  trace_id?: string;
  skip?: number;
  limit?: number;
}
export interface SpanSearchResult {
  total: number;
  spans: Span[];
  errors: { source: string; error: string }[];
}
export interface Trace {
  trace_id: string;
  spans: Span[];
}
export interface LatencyParams {
  service?: string;
  operation?: string;
  /** Look-back window in hours (1-720). */
  hours?: number;
}
export interface LatencyBucket {
  /** Upper bound in ms; null = the overflow bucket. */
  le_ms: number | null;
  count: number;
}
export interface LatencyHistogram {
  count: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  buckets: LatencyBucket[];
}
export interface DependencyGraph {
  nodes: { service: string }[];
  edges: { parent: string; child: string; call_count: number; error_count: number }[];
}

export interface ListResult<T> {
  items: T[];
  total: number;
}
export interface ListFilters {
  cluster_id?: number;
  service_id?: number;
  enabled_only?: boolean;
  skip?: number;
  limit?: number;
}
