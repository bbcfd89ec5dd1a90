import { useCallback } from 'react';
import { multiCloudApi } from '../services/api';
import type { EndpointHealth, FailoverRequest, ListFilters, RouteTableInput } from '../services/types';
import { useResource } from './useResource';

export const HEALTH_POLL_MS = 3000;

export function useMultiCloud(filters: ListFilters = {}) {
  const key = `mc:${JSON.stringify(filters)}`;
  const res = useResource(key, () => multiCloudApi.list(filters));
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
    routeTables: res.data?.items ?? [],
    total: res.data?.total ?? 0,
    loaded: res.data !== undefined,
    loading: res.loading,
    error: res.error,
    reload,
    createRouteTable: useCallback((t: RouteTableInput) => after(multiCloudApi.create(t)), [after]),
    updateRouteTable: useCallback((id: number, t: RouteTableInput) => after(multiCloudApi.update(id, t)), [after]),
    deleteRouteTable: useCallback((id: number) => after(multiCloudApi.remove(id)), [after]),
    enableRouteTable: useCallback((id: number) => after(multiCloudApi.enable(id)), [after]),
    disableRouteTable: useCallback((id: number) => after(multiCloudApi.disable(id)), [after]),
    testFailover: useCallback((id: number, req: FailoverRequest) => multiCloudApi.testFailover(id, req), []),
  };
}

/** Live health of a route table's endpoints, polled every few seconds. */
export function useRouteHealth(routeTableId: number | null, pollMs = HEALTH_POLL_MS) {
  return useResource<EndpointHealth[]>(routeTableId === null ? null : `mc-health:${routeTableId}`, () =>
    multiCloudApi.health(routeTableId as number), pollMs);
}

export function useCostAnalytics(days: number, clusterId?: number) {
  return useResource(`mc-cost:${days}:${clusterId ?? ''}`, () => multiCloudApi.costAnalytics(days, clusterId));
}
