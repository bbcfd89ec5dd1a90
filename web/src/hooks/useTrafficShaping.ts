import { useCallback } from 'react';
import { trafficShapingApi } from '../services/api';
import type { ListFilters, QosPolicy, QosPolicyInput, QosStats } from '../services/types';
import { useResource } from './useResource';

export const STATS_POLL_MS = 5000;

export function useTrafficShaping(filters: ListFilters = {}) {
  const key = `qos:${JSON.stringify(filters)}`;
  const res = useResource(key, () => trafficShapingApi.list(filters));
  const { reload } = res;

  const after = useCallback(
    <T,>(p: Promise<T>): Promise<T> =>
      p.then((v) => {
        reload();
        return v;
      }),
    [reload],
  );

  return {
    policies: res.data?.items ?? [],
    total: res.data?.total ?? 0,
    loaded: res.data !== undefined,
    loading: res.loading,
    error: res.error,
    reload,
    createPolicy: useCallback((p: QosPolicyInput) => after(trafficShapingApi.create(p)), [after]),
    updatePolicy: useCallback((id: number, p: QosPolicyInput) => after(trafficShapingApi.update(id, p)), [after]),
    deletePolicy: useCallback((id: number) => after(trafficShapingApi.remove(id)), [after]),
    enablePolicy: useCallback((id: number) => after(trafficShapingApi.enable(id)), [after]),
    disablePolicy: useCallback((id: number) => after(trafficShapingApi.disable(id)), [after]),
  };
}

export type TrafficShaping = ReturnType<typeof useTrafficShaping>;

/** Live statistics of one policy, polled. */
export function usePolicyStats(policyId: number | null, pollMs = STATS_POLL_MS) {
  return useResource<QosStats>(policyId === null ? null : `qos-stats:${policyId}`, () =>
    trafficShapingApi.stats(policyId as number), pollMs);
}

export type { QosPolicy };
