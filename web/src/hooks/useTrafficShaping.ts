import { trafficShapingApi } from '../services/api';
import type { ListFilters, QosPolicy, QosStats } from '../services/types';
import { useCrudResource } from './useCrudResource';
import { useResource } from './useResource';

export const STATS_POLL_MS = 5000;

export function useTrafficShaping(filters: ListFilters = {}) {
  const r = useCrudResource('qos', trafficShapingApi, filters);
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

export type TrafficShaping = ReturnType<typeof useTrafficShaping>;

/** Live statistics of one policy, polled. */
export function usePolicyStats(policyId: number | null, pollMs = STATS_POLL_MS) {
  return useResource<QosStats>(
    policyId === null ? null : `qos-stats:${policyId}`,
    () => trafficShapingApi.stats(policyId as number),
    pollMs,
  );
}

export type { QosPolicy };
