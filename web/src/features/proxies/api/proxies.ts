import { useQuery } from '@tanstack/react-query';
import { fetchList } from '@/lib/api-client';
import { pollEvery } from '@/lib/query-client';
import type { Proxy } from '../types';

export const proxiesApi = {
  list: (clusterId?: number) => fetchList<Proxy>('/api/v1/proxies', clusterId ? { cluster_id: clusterId } : undefined),
};

export const PROXY_POLL_MS = 10_000;

/** The registered proxies (of one cluster when `clusterId` is given), polled. */
export function useProxies(clusterId?: number) {
  return useQuery({
    queryKey: ['proxies', 'list', clusterId ? { cluster_id: clusterId } : {}],
    queryFn: () => proxiesApi.list(clusterId),
    refetchInterval: pollEvery(PROXY_POLL_MS),
  });
}
