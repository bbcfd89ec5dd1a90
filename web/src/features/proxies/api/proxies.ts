import { fetchList } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import type { Proxy } from '../types';

export const proxiesApi = {
  list: (clusterId?: number) => fetchList<Proxy>('/api/v1/proxies', clusterId ? { cluster_id: clusterId } : undefined),
};

export const PROXY_POLL_MS = 10_000;

export function useProxies(clusterId?: number) {
  return useResource(`proxies:${clusterId ?? ''}`, () => proxiesApi.list(clusterId), PROXY_POLL_MS);
}
