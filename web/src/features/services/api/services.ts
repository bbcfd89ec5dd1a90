import { api, fetchList } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import type { Service, ServiceInput } from '../types';

const SERVICES = '/api/v1/services';

export const servicesApi = {
  list: (clusterId?: number) => fetchList<Service>(SERVICES, clusterId ? { cluster_id: clusterId } : undefined),
  create: (s: ServiceInput) => api.post<Service>(SERVICES, s).then((r) => r.data),
  update: (id: number, s: ServiceInput) => api.put<Service>(`${SERVICES}/${id}`, s).then((r) => r.data),
  remove: (id: number) => api.delete(`${SERVICES}/${id}`).then(() => undefined),
};

export function useServices(clusterId?: number) {
  return useResource(`services:${clusterId ?? ''}`, () => servicesApi.list(clusterId));
}
