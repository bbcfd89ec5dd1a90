import { queryOptions, useMutation, useQuery } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { resourceKeys, useCrudMutations } from '@/lib/crud';
import { pollEvery } from '@/lib/query-client';
import type { TracingConfig, TracingConfigInput, TracingStats, TracingTestResult } from '../types';

const TR = '/api/v1/observability/tracing';

export const tracingConfigsApi = {
  list: (f?: ListFilters) => fetchList<TracingConfig>(TR, f),
  get: (id: number) => api.get<TracingConfig>(`${TR}/${id}`).then((r) => r.data),
  create: (c: TracingConfigInput) => api.post<TracingConfig>(TR, c).then((r) => r.data),
  update: (id: number, c: TracingConfigInput) => api.put<TracingConfig>(`${TR}/${id}`, c).then((r) => r.data),
  remove: (id: number) => api.delete(`${TR}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<TracingConfig>(`${TR}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<TracingConfig>(`${TR}/${id}/disable`).then((r) => r.data),
  stats: (id: number) => api.get<TracingStats>(`${TR}/${id}/stats`).then((r) => r.data),
  test: (id: number) => api.post<TracingTestResult>(`${TR}/${id}/test`, {}, { timeout: 60_000 }).then((r) => r.data),
};

export const tracingConfigKeys = resourceKeys('tracing-configs');

export const tracingConfigsQueryOptions = (filters: ListFilters = {}) =>
  queryOptions({ queryKey: tracingConfigKeys.list(filters), queryFn: () => tracingConfigsApi.list(filters) });

/** Tracing configs matching `filters`, polled every `pollMs` when given. */
export function useTracingConfigs(filters: ListFilters = {}, pollMs?: number) {
  return useQuery({ ...tracingConfigsQueryOptions(filters), refetchInterval: pollEvery(pollMs) });
}

/** Create, update, delete, enable and disable tracing configs; the lists refetch after each. */
export function useTracingConfigMutations() {
  return useCrudMutations(tracingConfigKeys, tracingConfigsApi);
}

/** Send a test span through a config's exporter. */
export function useTestConnection() {
  return useMutation({ mutationFn: tracingConfigsApi.test });
}

export const TRACING_STATS_POLL_MS = 5000;

/** Export statistics of one config, polled. */
export function useTracingStats(configId: number | null, pollMs = TRACING_STATS_POLL_MS) {
  return useQuery({
    queryKey: tracingConfigKeys.of(configId ?? -1, 'stats'),
    queryFn: () => tracingConfigsApi.stats(configId as number),
    enabled: configId !== null,
    refetchInterval: pollEvery(pollMs),
  });
}
