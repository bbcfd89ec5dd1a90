import { useCallback } from 'react';
import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { useCrudResource } from '@/lib/use-crud-resource';
import { useResource } from '@/lib/use-resource';
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

export const TRACING_STATS_POLL_MS = 5000;

export function useObservability(filters: ListFilters = {}) {
  const r = useCrudResource('tr', tracingConfigsApi, filters);
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
    testConnection: useCallback((id: number) => tracingConfigsApi.test(id), []),
  };
}

export function useTracingStats(configId: number | null, pollMs = TRACING_STATS_POLL_MS) {
  return useResource(
    configId === null ? null : `tr-stats:${configId}`,
    () => tracingConfigsApi.stats(configId as number),
    pollMs,
  );
}
