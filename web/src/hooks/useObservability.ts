import { useCallback, useState } from 'react';
import { observabilityApi } from '../services/api';
import type { LatencyParams, ListFilters, SpanSearchParams, SpanSearchResult } from '../services/types';
import { useCrudResource } from './useCrudResource';
import { useResource } from './useResource';

export const TRACING_STATS_POLL_MS = 5000;

export function useObservability(filters: ListFilters = {}) {
  const r = useCrudResource('tr', observabilityApi, filters);
  return {
    configs: r.items,
    total: r.total,
    loaded: r.loaded,
    loading: r.loading,
    error: r.error,
    reload: r.reload,
    createConfig: r.create,
    updateConfig: r.update,
    deleteConfig: r.remove,
    enableConfig: r.enable,
    disableConfig: r.disable,
    testConnection: useCallback((id: number) => observabilityApi.test(id), []),
  };
}

export function useTracingStats(configId: number | null, pollMs = TRACING_STATS_POLL_MS) {
  return useResource(
    configId === null ? null : `tr-stats:${configId}`,
    () => observabilityApi.stats(configId as number),
    pollMs,
  );
}

/** Span search: call `search(params)`; the latest answer wins. */
export function useSpanSearch() {
  const [result, setResult] = useState<SpanSearchResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  const search = useCallback(async (params: SpanSearchParams) => {
    setLoading(true);
    setError(null);
    try {
      const r = await observabilityApi.searchSpans(params);
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
  return useResource(traceId ? `trace:${traceId}` : null, () => observabilityApi.trace(traceId as string));
}

export function useDependencies() {
  return useResource('deps', () => observabilityApi.dependencies());
}

export const LATENCY_POLL_MS = 15_000;

/** Latency histogram of stored spans; empty filters are left out of the query. */
export function useLatencyHistogram(params: LatencyParams, pollMs = LATENCY_POLL_MS) {
  const p: LatencyParams = { hours: params.hours ?? 1 };
  if (params.service?.trim()) p.service = params.service.trim();
  if (params.operation?.trim()) p.operation = params.operation.trim();
  return useResource(`latency:${JSON.stringify(p)}`, () => observabilityApi.latency(p), pollMs);
}
