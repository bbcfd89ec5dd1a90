import { useCallback } from 'react';
import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { useCrudResource } from '@/lib/use-crud-resource';
import { useResource } from '@/lib/use-resource';
import type { EndpointHealth, FailoverRequest, FailoverResult, RouteTable, RouteTableInput } from '../types';

const MC = '/api/v1/multi-cloud/routes';

export const routeTablesApi = {
  list: (f?: ListFilters) => fetchList<RouteTable>(MC, f),
  get: (id: number) => api.get<RouteTable>(`${MC}/${id}`).then((r) => r.data),
  create: (t: RouteTableInput) => api.post<RouteTable>(MC, t).then((r) => r.data),
  update: (id: number, t: RouteTableInput) => api.put<RouteTable>(`${MC}/${id}`, t).then((r) => r.data),
  remove: (id: number) => api.delete(`${MC}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<RouteTable>(`${MC}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<RouteTable>(`${MC}/${id}/disable`).then((r) => r.data),
  health: (id: number) => api.get<EndpointHealth[]>(`${MC}/${id}/health`).then((r) => r.data),
  testFailover: (id: number, req: FailoverRequest) =>
    api.post<FailoverResult>(`${MC}/${id}/test-failover`, req, { timeout: 120_000 }).then((r) => r.data),
};

export const HEALTH_POLL_MS = 3000;

export function useMultiCloud(filters: ListFilters = {}) {
  const r = useCrudResource('mc', routeTablesApi, filters);
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
    testFailover: useCallback((id: number, req: FailoverRequest) => routeTablesApi.testFailover(id, req), []),
  };
}

/** Live health of a route table's endpoints, polled every few seconds. */
export function useRouteHealth(routeTableId: number | null, pollMs = HEALTH_POLL_MS) {
  return useResource<EndpointHealth[]>(
    routeTableId === null ? null : `mc-health:${routeTableId}`,
    () => routeTablesApi.health(routeTableId as number),
    pollMs,
  );
}
