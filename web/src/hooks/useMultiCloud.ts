import { useCallback } from 'react';
import { multiCloudApi } from '../services/api';
import type { EndpointHealth, FailoverRequest, ListFilters } from '../services/types';
import { useCrudResource } from './useCrudResource';
import { useResource } from './useResource';

export const HEALTH_POLL_MS = 3000;

export function useMultiCloud(filters: ListFilters = {}) {
  const r = useCrudResource('mc', multiCloudApi, filters);
  return {
    routeTables: r.items,
    total: r.total,
    loaded: r.loaded,
    loading: r.loading,
    error: r.error,
    reload: r.reload,
    createRouteTable: r.create,
    updateRouteTable: r.update,
    deleteRouteTable: r.remove,
    enableRouteTable: r.enable,
    disableRouteTable: r.disable,
    testFailover: useCallback((id: number, req: FailoverRequest) => multiCloudApi.testFailover(id, req), []),
  };
}

/** Live health of a route table's endpoints, polled every few seconds. */
export function useRouteHealth(routeTableId: number | null, pollMs = HEALTH_POLL_MS) {
  return useResource<EndpointHealth[]>(
    routeTableId === null ? null : `mc-health:${routeTableId}`,
    () => multiCloudApi.health(routeTableId as number),
    pollMs,
  );
}

export function useCostAnalytics(days: number, clusterId?: number) {
  return useResource(`mc-cost:${days}:${clusterId ?? ''}`, () => multiCloudApi.costAnalytics(days, clusterId));
}
