import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { useCrudResource } from '@/lib/use-crud-resource';
import { useResource } from '@/lib/use-resource';
import type { QosPolicy, QosPolicyInput, QosStats } from '../types';

const QOS = '/api/v1/traffic-shaping/policies';

export const qosPoliciesApi = {
  list: (f?: ListFilters) => fetchList<QosPolicy>(QOS, f),
  get: (id: number) => api.get<QosPolicy>(`${QOS}/${id}`).then((r) => r.data),
  create: (p: QosPolicyInput) => api.post<QosPolicy>(QOS, p).then((r) => r.data),
  update: (id: number, p: QosPolicyInput) => api.put<QosPolicy>(`${QOS}/${id}`, p).then((r) => r.data),
  remove: (id: number) => api.delete(`${QOS}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<QosPolicy>(`${QOS}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<QosPolicy>(`${QOS}/${id}/disable`).then((r) => r.data),
  stats: (id: number) => api.get<QosStats>(`${QOS}/${id}/stats`).then((r) => r.data),
};

export const STATS_POLL_MS = 5000;

export function useTrafficShaping(filters: ListFilters = {}) {
  const r = useCrudResource('qos', qosPoliciesApi, filters);
  return {
    policies: r.items,
    total: r.total,
    loaded: r.loaded,
    loading: r.loading,
    error: r.error,
    reload: r.reload,
    createPolicy: r.create,
    updatePolicy: r.update,
    deletePolicy: r.remove,
    enablePolicy: r.enable,
    disablePolicy: r.disable,
  };
}

/** Live statistics of one policy, polled. */
export function usePolicyStats(policyId: number | null, pollMs = STATS_POLL_MS) {
  return useResource<QosStats>(
    policyId === null ? null : `qos-stats:${policyId}`,
    () => qosPoliciesApi.stats(policyId as number),
    pollMs,
  );
}
