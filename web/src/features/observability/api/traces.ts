import { useCallback, useState } from 'react';
import { api } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import type {
  DependencyGraph,
  LatencyHistogram,
  LatencyParams,
  SpanSearchParams,
  SpanSearchResult,
  Trace,
} from '../types';

export const tracesApi = {
  searchSpans: (p: SpanSearchParams) =>
    api.get<SpanSearchResult>('/api/v1/observability/spans/search', { params: p }).then((r) => r.data),
  trace: (traceId: string) =>
    api.get<Trace>(`/api/v1/observability/traces/${encodeURIComponent(traceId)}`).then((r) => r.data),
  dependencies: () => api.get<DependencyGraph>('/api/v1/observability/dependencies').then((r) => r.data),
  latency: (p: LatencyParams) =>
    api.get<LatencyHistogram>('/api/v1/observability/latency', { params: p }).then((r) => r.data),
};

/** Span search: call `search(params)`; the latest answer wins. */
export function useSpanSearch() {
  const [result, setResult] = useState<SpanSearchResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  const search = useCallback(async (params: SpanSearchParams) => {
    setLoading(true);
    setError(null);
    try {
      const r = await tracesApi.searchSpans(params);
      setResult(r);
      return r;
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      return null;
    } finally {
      setLoading(false);
    }
  }, []);
  return { result, error, loading, search };
}

export function useTrace(traceId: string | null) {
  return useResource(traceId ? `trace:${traceId}` : null, () => tracesApi.trace(traceId as string));
}

export function useDependencies() {
  return useResource('deps', () => tracesApi.dependencies());
}

export const LATENCY_POLL_MS = 15_000;

/** Latency histogram of stored spans; empty filters are left out of the query. */
export function useLatencyHistogram(params: LatencyParams, pollMs = LATENCY_POLL_MS) {
  const p: LatencyParams = { hours: params.hours ?? 1 };
  if (params.service?.trim()) p.service = params.service.trim();
  if (params.operation?.trim()) p.operation = params.operation.trim();
  return useResource(`latency:${JSON.stringify(p)}`, () => tracesApi.latency(p), pollMs);
}
