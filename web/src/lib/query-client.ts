import { QueryClient, type Query, type QueryKey } from '@tanstack/react-query';
import { ApiError } from './errors';

/**
 * Server state lives in TanStack Query. The defaults keep the console's request pattern: a page asks
 * when it mounts (and when its filters change), pages that show live figures poll, a mutation refetches
 * the lists it changed; no retries (an error shows at once, with a Retry button) and no refetch on
 * window focus.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: false,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
        // Polling pages keep polling in a background tab, as they did with timers.
        refetchIntervalInBackground: true,
      },
      mutations: { retry: false },
    },
  });
}

/** A client error (404, 403, 422…) will not heal by asking again. */
export function isPermanentError(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

/**
 * `refetchInterval` for a polled query: every `ms`, but not after a client error, until the query is
 * refetched by hand (its Retry/Refresh button) and answers again.
 */
export function pollEvery(ms: number | undefined) {
  return <TQueryFnData, TData, TQueryKey extends QueryKey>(
    query: Query<TQueryFnData, Error, TData, TQueryKey>,
  ): number | false => (!ms || (query.state.status === 'error' && isPermanentError(query.state.error)) ? false : ms);
}
