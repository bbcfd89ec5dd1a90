import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, fetchList } from '@/lib/api-client';
import { resourceKeys } from '@/lib/crud';
import type { User, UserChange, UserInput } from '../types';

export const usersApi = {
  list: () => fetchList<User>('/api/v1/users'),
  create: (u: UserInput) => api.post<User>('/api/v1/users', u).then((r) => r.data),
  /** A new role or password; either revokes the user's tokens at once (409 for the last admin). */
  update: (id: number, change: UserChange) => api.patch<User>(`/api/v1/users/${id}`, change).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/users/${id}`).then(() => undefined),
};

export const userKeys = resourceKeys('users');

/** The console's users; only administrators may list them (`enabled` false for the others). */
export function useUsers(enabled = true) {
  return useQuery({ queryKey: userKeys.list(), queryFn: usersApi.list, enabled });
}

/** Create, change and delete users; the user list refetches after each. */
export function useUserMutations() {
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: userKeys.lists() });
  };
  const { mutateAsync: update } = useMutation({
    mutationFn: ({ id, change }: { id: number; change: UserChange }) => usersApi.update(id, change),
    onSuccess,
  });
  return {
    create: useMutation({ mutationFn: usersApi.create, onSuccess }).mutateAsync,
    update: (id: number, change: UserChange) => update({ id, change }),
    remove: useMutation({ mutationFn: usersApi.remove, onSuccess }).mutateAsync,
  };
}
