import { api, fetchList } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import type { ApiKey, Cluster, ClusterCreated, ClusterInput } from '../types';

const CLUSTERS = '/api/v1/clusters';

export const clustersApi = {
  list: () => fetchList<Cluster>(CLUSTERS),
  create: (c: ClusterInput) => api.post<ClusterCreated>(CLUSTERS, c).then((r) => r.data),
  update: (id: number, c: ClusterInput) => api.put<Cluster>(`${CLUSTERS}/${id}`, c).then((r) => r.data),
  remove: (id: number) => api.delete(`${CLUSTERS}/${id}`).then(() => undefined),
  rotateKey: (id: number) => api.post<ApiKey>(`${CLUSTERS}/${id}/rotate-key`).then((r) => r.data),
};

export function useClusters() {
  return useResource('clusters', () => clustersApi.list());
}
