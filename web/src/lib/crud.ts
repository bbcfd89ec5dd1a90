import { useMutation, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { ListFilters, ListResult } from './api-types';

/**
 * Query keys of a REST resource: everything under `[name]`, its lists under `[name, 'list', filters]`,
 * and what belongs to one record (statistics, health) under `[name, id, part]`.
 */
export function resourceKeys(name: string) {
  return {
    all: [name] as const,
    lists: () => [name, 'list'] as const,
    list: (filters: ListFilters = {}) => [name, 'list', filters] as const,
    of: (id: number, part: string) => [name, id, part] as const,
  };
}

export type ResourceKeys = ReturnType<typeof resourceKeys>;

/** The write endpoints of an administered resource (QoS policies, route tables, tracing configs). */
export interface CrudEndpoints<T, I> {
  create: (input: I) => Promise<T>;
  update: (id: number, input: I) => Promise<T>;
  remove: (id: number) => Promise<void>;
  enable: (id: number) => Promise<T>;
  disable: (id: number) => Promise<T>;
}

/** Create, update, delete, enable and disable; each refetches the resource's lists once it succeeds. */
export function useCrudMutations<T, I>(keys: ResourceKeys, endpoints: CrudEndpoints<T, I>) {
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: keys.lists() });
  };
  // mutateAsync is stable across renders, so the returned object is too.
  const { mutateAsync: create } = useMutation({ mutationFn: endpoints.create, onSuccess });
  const { mutateAsync: update } = useMutation({
    mutationFn: ({ id, input }: { id: number; input: I }) => endpoints.update(id, input),
    onSuccess,
  });
  const { mutateAsync: remove } = useMutation({ mutationFn: endpoints.remove, onSuccess });
  const { mutateAsync: enable } = useMutation({ mutationFn: endpoints.enable, onSuccess });
  const { mutateAsync: disable } = useMutation({ mutationFn: endpoints.disable, onSuccess });
  return useMemo(
    () => ({ create, update: (id: number, input: I) => update({ id, input }), remove, enable, disable }),
    [create, update, remove, enable, disable],
  );
}

/** What the list pages need of a list query. */
export interface ListState<T> {
  /** undefined until the first answer. */
  items: T[] | undefined;
  /** From `X-Total-Count` (0 until the first answer). */
  total: number;
  error: Error | null;
  reload: () => void;
}

export function listState<T>(query: UseQueryResult<ListResult<T>>): ListState<T> {
  return {
    items: query.data?.items,
    total: query.data?.total ?? 0,
    error: query.error,
    reload: () => {
      void query.refetch();
    },
  };
}
