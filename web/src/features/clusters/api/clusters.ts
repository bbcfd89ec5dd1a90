import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import { resourceKeys } from '@/lib/crud';
import type { ApiKey, Cluster, ClusterCreated, ClusterInput } from '../types';

const CLUSTERS = '/api/v1/clusters';

export const clustersApi = {
  list: () => fetchList<Cluster>(CLUSTERS),
  create: (c: ClusterInput) => api.post<ClusterCreated>(CLUSTERS, c).then((r) => r.data),
  update: (id: number, c: ClusterInput) => api.put<Cluster>(`${CLUSTERS}/${id}`, c).then((r) => r.data),
  remove: (id: number) => api.delete(`${CLUSTERS}/${id}`).then(() => undefined),
  rotateKey: (id: number) => api.post<ApiKey>(`${CLUSTERS}/${id}/rotate-key`).then((r) => r.data),
};

export const clusterKeys = resourceKeys('clusters');

export function useClusters() {
  return useQuery({ queryKey: clusterKeys.list(), queryFn: clustersApi.list });
}

/** Create, delete and rotate the API key of clusters; the cluster list refetches after each. */
export function useClusterMutations() {
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: clusterKeys.lists() });
  };
  return {
    create: useMutation({ mutationFn: clustersApi.create, onSuccess }).mutateAsync,
    remove: useMutation({ mutationFn: clustersApi.remove, onSuccess }).mutateAsync,
    rotateKey: useMutation({ mutationFn: clustersApi.rotateKey, onSuccess }).mutateAsync,
  };
}
