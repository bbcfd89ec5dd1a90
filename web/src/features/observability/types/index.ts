import type { Complete, QueryOf, Schemas } from '@/lib/api-types';

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

// Query parameters. The document folds the names that exclude each other (`service` and
// `service_name`, `operation` and `operation_name`) into one exploded object parameter `names`;
// the console sends `service` and `operation` as plain parameters.
type FlatNames<Q> = Omit<Q, 'names'> & { service?: string; operation?: string };

/** GET /api/v1/observability/spans/search */
export type SpanSearchParams = FlatNames<QueryOf<'search_spans'>>;

/** GET /api/v1/observability/latency */
export type LatencyParams = FlatNames<QueryOf<'latency'>>;
