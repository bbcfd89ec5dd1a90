import { createContext, createElement, useCallback, useContext, useMemo, type ReactNode } from 'react';
import { licenseApi } from '../services/api';
import type { Feature, LicenseStatus } from '../services/types';
import { useResource } from './useResource';

export interface LicenseState {
  status: LicenseStatus | undefined;
  loading: boolean;
  error: Error | null;
  reload: () => void;
  /** Re-validate the license on the server (admin), then reload. */
  refresh: () => Promise<LicenseStatus>;
  /** undefined while the status is not known yet. */
  hasFeature: (f: Feature) => boolean | undefined;
}

const LicenseContext = createContext<LicenseState | null>(null);

export function LicenseProvider({ children }: { children: ReactNode }) {
  const res = useResource('license', licenseApi.status);
  const { reload } = res;
  const refresh = useCallback(async () => {
    const s = await licenseApi.refresh();
    reload();
    return s;
  }, [reload]);
  const value = useMemo<LicenseState>(
    () => ({
      status: res.data,
      loading: res.loading,
      error: res.error,
      reload,
      refresh,
      hasFeature: (f: Feature) => (res.data ? res.data.features.includes(f) : undefined),
    }),
    [res.data, res.loading, res.error, reload, refresh],
  );
  return createElement(LicenseContext.Provider, { value }, children);
}

/** License status from GET /api/v1/license/status (fetched once by LicenseProvider). */
export function useLicense(): LicenseState {
  const ctx = useContext(LicenseContext);
  if (!ctx) throw new Error('useLicense must be used inside <LicenseProvider>');
  return ctx;
}
