import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { resourceKeys, useCrudMutations } from '@/lib/crud';
import { pollEvery } from '@/lib/query-client';
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

export const qosPolicyKeys = resourceKeys('qos-policies');

export const qosPoliciesQueryOptions = (filters: ListFilters = {}) =>
  queryOptions({ queryKey: qosPolicyKeys.list(filters), queryFn: () => qosPoliciesApi.list(filters) });

/** QoS policies matching `filters`, polled every `pollMs` when given. */
export function useQosPolicies(filters: ListFilters = {}, pollMs?: number) {
  return useQuery({ ...qosPoliciesQueryOptions(filters), refetchInterval: pollEvery(pollMs) });
}

/** Create, update, delete, enable and disable policies; the policy lists refetch after each. */
export function useQosPolicyMutations() {
  return useCrudMutations(qosPolicyKeys, qosPoliciesApi);
}

export const STATS_POLL_MS = 5000;

/** Live statistics of one policy, polled. */
export function usePolicyStats(policyId: number | null, pollMs = STATS_POLL_MS) {
  return useQuery({
    queryKey: qosPolicyKeys.of(policyId ?? -1, 'stats'),
    queryFn: () => qosPoliciesApi.stats(policyId as number),
    enabled: policyId !== null,
    refetchInterval: pollEvery(pollMs),
  });
}
