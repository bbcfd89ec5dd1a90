import { api, fetchList } from '@/lib/api-client';
import type { User, UserInput } from '../types';

export const usersApi = {
  list: () => fetchList<User>('/api/v1/users'),
  create: (u: UserInput) => api.post<User>('/api/v1/users', u).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/users/${id}`).then(() => undefined),
};
