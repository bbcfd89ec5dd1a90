import { api } from '@/lib/api-client';
import type { Schemas } from '@/lib/api-types';

/** GET /healthz and GET /readyz (`database` only on /readyz). */
export type Health = Schemas['Health'];

export const healthApi = {
  health: () => api.get<Health>('/healthz').then((r) => r.data),
  ready: () => api.get<Health>('/readyz').then((r) => r.data),
};
