import { clustersApi, proxiesApi, servicesApi } from '../services/api';
import { useResource } from './useResource';

export function useClusters() {
  return useResource('clusters', () => clustersApi.list());
}

export function useServices(clusterId?: number) {
  return useResource(`services:${clusterId ?? ''}`, () => servicesApi.list(clusterId));
}

export const PROXY_POLL_MS = 10_000;
export function useProxies(clusterId?: number) {
  return useResource(`proxies:${clusterId ?? ''}`, () => proxiesApi.list(clusterId), PROXY_POLL_MS);
}
