import type { Complete, Schemas } from '@/lib/api-types';

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

// Query parameters, hand-written: the schema declares them as required *path* parameters (`in: path`).

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
