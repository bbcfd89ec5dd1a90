import { useCallback } from 'react';
import type { ListFilters, ListResult } from './api-types';
import { useResource } from './use-resource';

/** The REST surface shared by the enterprise resources (QoS policies, route tables, tracing configs). */
export interface CrudApi<T, I> {
  list: (f?: ListFilters) => Promise<ListResult<T>>;
  create: (input: I) => Promise<T>;
  update: (id: number, input: I) => Promise<T>;
  remove: (id: number) => Promise<void>;
  enable: (id: number) => Promise<T>;
  disable: (id: number) => Promise<T>;
}

/**
 * List a resource (keyed by `prefix` + filters) and expose mutations that reload the list
 * once they succeed.
 */
export function useCrudResource<T, I>(prefix: string, crud: CrudApi<T, I>, filters: ListFilters = {}) {
  const key = `${prefix}:${JSON.stringify(filters)}`;
  const res = useResource(key, () => crud.list(filters));
  const { reload } = res;

  const after = useCallback(
    <R>(p: Promise<R>): Promise<R> =>
      p.then((v) => {
        reload();
        return v;
      }),
    [reload],
  );

  return {
    items: res.data?.items ?? [],
    total: res.data?.total ?? 0,
    loaded: res.data !== undefined,
    loading: res.loading,
    error: res.error,
    reload,
    create: useCallback((input: I) => after(crud.create(input)), [after, crud]),
    update: useCallback((id: number, input: I) => after(crud.update(id, input)), [after, crud]),
    remove: useCallback((id: number) => after(crud.remove(id)), [after, crud]),
    enable: useCallback((id: number) => after(crud.enable(id)), [after, crud]),
    disable: useCallback((id: number) => after(crud.disable(id)), [after, crud]),
  };
}
