import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import { resourceKeys } from '@/lib/crud';
import type { Service, ServiceInput } from '../types';

const SERVICES = '/api/v1/services';

export const servicesApi = {
  list: (clusterId?: number) => fetchList<Service>(SERVICES, clusterId ? { cluster_id: clusterId } : undefined),
  create: (s: ServiceInput) => api.post<Service>(SERVICES, s).then((r) => r.data),
  update: (id: number, s: ServiceInput) => api.put<Service>(`${SERVICES}/${id}`, s).then((r) => r.data),
  remove: (id: number) => api.delete(`${SERVICES}/${id}`).then(() => undefined),
};

export const serviceKeys = resourceKeys('services');

/** The services (of one cluster when `clusterId` is given). */
export function useServices(clusterId?: number) {
  return useQuery({
    queryKey: serviceKeys.list(clusterId ? { cluster_id: clusterId } : {}),
    queryFn: () => servicesApi.list(clusterId),
  });
}

/** Create and delete services; the service lists refetch after each. */
export function useServiceMutations() {
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: serviceKeys.lists() });
  };
  return {
    create: useMutation({ mutationFn: servicesApi.create, onSuccess }).mutateAsync,
    remove: useMutation({ mutationFn: servicesApi.remove, onSuccess }).mutateAsync,
  };
}
