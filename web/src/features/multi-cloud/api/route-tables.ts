import { queryOptions, useMutation, useQuery } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import type { ListFilters } from '@/lib/api-types';
import { resourceKeys, useCrudMutations } from '@/lib/crud';
import { pollEvery } from '@/lib/query-client';
import type {
  EndpointHealth,
  FailoverDrill,
  FailoverRequest,
  FailoverResult,
  RouteTable,
  RouteTableInput,
} from '../types';

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
  /** A dry run answers with its result; a live drill is started without waiting (202) and
   * answers with its record, which `drill` follows. */
  testFailover: (id: number, req: FailoverRequest) =>
    api
      .post<FailoverResult | FailoverDrill>(
        `${MC}/${id}/test-failover`,
        req.dry_run === false ? { ...req, wait: false } : req,
      )
      .then((r) => r.data),
  drill: (id: number, drillId: number) => api.get<FailoverDrill>(`${MC}/${id}/drills/${drillId}`).then((r) => r.data),
  /** The table's latest `limit` live drills, newest first. */
  drills: (id: number, limit: number) =>
    api.get<FailoverDrill[]>(`${MC}/${id}/drills`, { params: { limit } }).then((r) => r.data),
};

export const routeTableKeys = resourceKeys('route-tables');

export const routeTablesQueryOptions = (filters: ListFilters = {}) =>
  queryOptions({ queryKey: routeTableKeys.list(filters), queryFn: () => routeTablesApi.list(filters) });

/** Route tables matching `filters`, polled every `pollMs` when given. */
export function useRouteTables(filters: ListFilters = {}, pollMs?: number) {
  return useQuery({ ...routeTablesQueryOptions(filters), refetchInterval: pollEvery(pollMs) });
}

/** Create, update, delete, enable and disable route tables; the lists refetch after each. */
export function useRouteTableMutations() {
  return useCrudMutations(routeTableKeys, routeTablesApi);
}

/** A failover drill on a route table (dry run or live). */
export function useTestFailover() {
  return useMutation({
    mutationFn: ({ id, request }: { id: number; request: FailoverRequest }) => routeTablesApi.testFailover(id, request),
  });
}

export const DRILL_POLL_MS = 1000;

/** A live drill's record, polled while it runs. */
export function useFailoverDrill(routeTableId: number, drillId: number | null, pollMs = DRILL_POLL_MS) {
  return useQuery({
    queryKey: [...routeTableKeys.of(routeTableId, 'drill'), drillId ?? -1],
    queryFn: () => routeTablesApi.drill(routeTableId, drillId as number),
    enabled: drillId !== null,
    refetchInterval: (q) => (q.state.data?.status === 'running' ? pollMs : false),
  });
}

export const RECENT_DRILLS = 5;

/** A route table's latest live drills, read again whenever `version` changes (the drill
 * this console follows started or changed status). */
export function useRecentDrills(routeTableId: number, version: string) {
  return useQuery({
    queryKey: [...routeTableKeys.of(routeTableId, 'drills'), version],
    queryFn: () => routeTablesApi.drills(routeTableId, RECENT_DRILLS),
  });
}

/** A live drill's record (it has a status) rather than a dry run's result. */
export function isDrill(r: FailoverResult | FailoverDrill): r is FailoverDrill {
  return 'status' in r;
}

export const HEALTH_POLL_MS = 3000;

/** Live health of a route table's endpoints, polled every few seconds. */
export function useRouteHealth(routeTableId: number | null, pollMs = HEALTH_POLL_MS) {
  return useQuery({
    queryKey: routeTableKeys.of(routeTableId ?? -1, 'health'),
    queryFn: () => routeTablesApi.health(routeTableId as number),
    enabled: routeTableId !== null,
    refetchInterval: pollEvery(pollMs),
  });
}
