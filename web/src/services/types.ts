// Types of the control-plane API, derived from the generated OpenAPI schema (src/lib/api-schema.ts,
// `npm run api:generate`). Only what the schema does not describe is written by hand below.
import type { components } from '../lib/api-schema';

type Schemas = components['schemas'];

/**
 * A stored record as the server sends it: every field present (`null` where empty). The schema describes
 * stored records with the input (`*Spec`) types, in which fields that have a default are optional.
 */
type Complete<T> = T extends readonly (infer U)[]
  ? Complete<U>[]
  : T extends object
    ? { [K in keyof T]-?: Complete<T[K]> }
    : T;

export type TokenResponse = Schemas['TokenPair'];
export type User = Schemas['User'];
export type UserInput = Schemas['CreateUser'];

/** The Enterprise features the console gates (LicenseStatus.features lists them as plain strings). */
export type Feature = 'traffic_shaping' | 'multi_cloud_routing' | 'distributed_tracing';

export type LicenseStatus = Schemas['LicenseStatus'];
/** GET /healthz and GET /readyz (`database` only on /readyz). */
export type Health = Schemas['Health'];
export type Ready = Schemas['Health'];

export type Cluster = Complete<Schemas['Cluster']>;
export type ClusterCreated = Schemas['ClusterCreated'];
export type ClusterInput = Schemas['ClusterSpec'];

export type ServiceProtocol = Schemas['ServiceProtocol'];
export type Service = Complete<Schemas['Service']>;
export type ServiceInput = Schemas['ServiceSpec'];

export type Proxy = Schemas['Proxy'];

// Traffic shaping
export type Priority = Schemas['Priority'];
export type Dscp = Schemas['Dscp'];
export type QosPolicyInput = Schemas['QosPolicySpec'];
export type QosPolicy = Complete<Schemas['QosPolicy']>;
/** Worst p50/p99 queueing delay per class. The schema types `QosStats.delay_ms` as a bare object. */
export type DelayByClass = Partial<Record<Priority, { p50: number; p99: number }>>;
export type QosStats = Omit<Schemas['QosStats'], 'delay_ms'> & { delay_ms: DelayByClass };

// Multi-cloud
export type CloudProvider = Schemas['CloudProvider'];
export type RoutingAlgorithm = Schemas['RoutingAlgorithm'];
export type CloudRoute = Schemas['Route'];
export type HealthProbe = Schemas['HealthProbeConfig'];
export type ProbeProtocol = Schemas['ProbeProtocol'];
export type RouteTableInput = Schemas['RouteTableSpec'];
export type RouteTable = Complete<Schemas['RouteTable']>;
export type EndpointHealth = Schemas['EndpointHealthView'];
export type FailoverRequest = Schemas['FailoverRequest'];
export type FailoverResult = Schemas['FailoverResult'];
export type CostAnalytics = Schemas['CostReport'];

// Observability
export type TracingBackend = Schemas['TracingBackend'];
export type SpanExporter = Schemas['SpanExporter'];
export type SamplingStrategy = Schemas['SamplingStrategy'];
export type TracingConfigInput = Schemas['TracingConfigSpec'];
export type TracingConfig = Complete<Schemas['TracingConfig']>;
export type TracingStats = Schemas['TracingStats'];
export type TracingTestResult = Schemas['TestResult'];
/** A stored span. The schema types `StoredSpan.attributes` as a bare object; its values are any JSON. */
export type Span = Omit<Schemas['StoredSpan'], 'attributes'> & { attributes: Record<string, unknown> };
export type SpanSearchResult = Omit<Schemas['SpanSearchResult'], 'spans'> & { spans: Span[] };
export type Trace = Omit<Schemas['Trace'], 'spans'> & { spans: Span[] };
export type LatencyBucket = Complete<Schemas['LatencyBucket']>;
export type LatencyHistogram = Complete<Schemas['LatencyHistogram']>;
export type DependencyGraph = Schemas['DependencyGraph'];

// Query parameters. The schema declares these as required *path* parameters (`in: path`), so they
// cannot be taken from `operations[...]['parameters']['query']`; they are written by hand.

/** GET /api/v1/observability/spans/search */
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
/** GET /api/v1/observability/latency */
export interface LatencyParams {
  service?: string;
  operation?: string;
  /** Look-back window in hours (1-720). */
  hours?: number;
}
/** Filters of the list endpoints (clusters, services, proxies, policies, route tables, tracing configs). */
export interface ListFilters {
  cluster_id?: number;
  service_id?: number;
  enabled_only?: boolean;
  skip?: number;
  limit?: number;
}

/** A list answer: the items and the `X-Total-Count` header (which the schema does not declare). */
export interface ListResult<T> {
  items: T[];
  total: number;
}
