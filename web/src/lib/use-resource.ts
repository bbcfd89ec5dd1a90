import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/errors';

/** A client error (404, 403, 422…) will not heal by asking again: polling stops until reload(). */
function isPermanent(err: Error): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

export interface Resource<T> {
  data: T | undefined;
  error: Error | null;
  /** True until the first answer for the current key arrives. */
  loading: boolean;
  reload: () => void;
}

interface State<T> {
  key: string | null;
  data: T | undefined;
  error: Error | null;
}

/**
 * Fetch data for `key` (null = don't fetch), optionally polling every `pollMs`.
 * Changing the key refetches; `reload()` refetches now.
 */
export function useResource<T>(key: string | null, fetcher: () => Promise<T>, pollMs?: number): Resource<T> {
  const [state, setState] = useState<State<T>>({ key: null, data: undefined, error: null });
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  useEffect(() => {
    fetcherRef.current = fetcher;
  });

  useEffect(() => {
    if (key === null) return undefined;
    let cancelled = false;
    let timer: number | undefined;
    const stop = () => {
      if (timer !== undefined) window.clearInterval(timer);
      timer = undefined;
    };
    const run = () => {
      fetcherRef.current().then(
        (data) => {
          if (!cancelled) setState({ key, data, error: null });
        },
        (error: unknown) => {
          if (!cancelled) {
            const err = error instanceof Error ? error : new Error(String(error));
            if (isPermanent(err)) stop();
            setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: err }));
          }
        },
      );
    };
    if (pollMs) timer = window.setInterval(run, pollMs);
    run();
    return () => {
      cancelled = true;
      stop();
    };
  }, [key, tick, pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : null,
    loading: key !== null && !current,
    reload,
  };
}
