import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Schemas } from '@/lib/api-types';
import { pollEvery } from '@/lib/query-client';

/** GET /healthz and GET /readyz (`database` only on /readyz). */
export type Health = Schemas['Health'];

export const healthApi = {
  health: () => api.get<Health>('/healthz').then((r) => r.data),
  ready: () => api.get<Health>('/readyz').then((r) => r.data),
};

export const HEALTH_POLL_MS = 10_000;

/** Liveness of the control plane (/healthz), polled. */
export function useHealth() {
  return useQuery({
    queryKey: ['health', 'live'],
    queryFn: healthApi.health,
    refetchInterval: pollEvery(HEALTH_POLL_MS),
  });
}

/** Readiness and database of the control plane (/readyz), polled. */
export function useReadiness() {
  return useQuery({
    queryKey: ['health', 'ready'],
    queryFn: healthApi.ready,
    refetchInterval: pollEvery(HEALTH_POLL_MS),
  });
}
