import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/lib/api-client';
import { pollEvery } from '@/lib/query-client';
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

/**
 * Span search, run when the form is submitted: `search(params)` asks now (also for the same filters
 * again). The results of the last search that answered stay shown while a new search runs or when it
 * fails; an answer that arrives after a newer search was started is dropped.
 */
export function useSpanSearch() {
  const [result, setResult] = useState<SpanSearchResult | null>(null);
  const m = useMutation({ mutationFn: tracesApi.searchSpans });
  const { mutateAsync } = m;
  return {
    result,
    error: m.error,
    loading: m.isPending,
    search: (params: SpanSearchParams) => mutateAsync(params, { onSuccess: setResult }).catch(() => null),
  };
}

export function useTrace(traceId: string | null) {
  return useQuery({
    queryKey: ['traces', traceId],
    queryFn: () => tracesApi.trace(traceId as string),
    enabled: !!traceId,
  });
}

export function useDependencies() {
  return useQuery({ queryKey: ['dependencies'], queryFn: tracesApi.dependencies });
}

export const LATENCY_POLL_MS = 15_000;

/** Latency histogram of stored spans; empty filters are left out of the query. */
export function useLatencyHistogram(params: LatencyParams, pollMs = LATENCY_POLL_MS) {
  const p: LatencyParams = { hours: params.hours ?? 1 };
  if (params.service?.trim()) p.service = params.service.trim();
  if (params.operation?.trim()) p.operation = params.operation.trim();
  return useQuery({
    queryKey: ['latency', p],
    queryFn: () => tracesApi.latency(p),
    refetchInterval: pollEvery(pollMs),
  });
}
