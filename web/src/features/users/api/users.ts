import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import { resourceKeys } from '@/lib/crud';
import type { User, UserInput } from '../types';

export const usersApi = {
  list: () => fetchList<User>('/api/v1/users'),
  create: (u: UserInput) => api.post<User>('/api/v1/users', u).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/users/${id}`).then(() => undefined),
};

export const userKeys = resourceKeys('users');

/** The console's users; only administrators may list them (`enabled` false for the others). */
export function useUsers(enabled = true) {
  return useQuery({ queryKey: userKeys.list(), queryFn: usersApi.list, enabled });
}

/** Create and delete users; the user list refetches after each. */
export function useUserMutations() {
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: userKeys.lists() });
  };
  return {
    create: useMutation({ mutationFn: usersApi.create, onSuccess }).mutateAsync,
    remove: useMutation({ mutationFn: usersApi.remove, onSuccess }).mutateAsync,
  };
}
