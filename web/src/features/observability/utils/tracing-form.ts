// The tracing config form: its fields as typed, validation mirroring the API's bounds (docs/API.md), and
// the conversions from a stored config and to the API body.
import { endpointError, intIn, isHttpUrl, numIn, optNum, str, text, type Errors } from '@/utils/validation';
import type { SamplingStrategy, SpanExporter, TracingBackend, TracingConfig, TracingConfigInput } from '../types';

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
