import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { api } from './api-client';
import type { Schemas } from './api-types';
import { useResource } from './use-resource';

export type LicenseStatus = Schemas['LicenseStatus'];

/** The Enterprise features the console gates (LicenseStatus.features lists them as plain strings). */
export type Feature = 'traffic_shaping' | 'multi_cloud_routing' | 'distributed_tracing';

export const fetchLicenseStatus = () => api.get<LicenseStatus>('/api/v1/license/status').then((r) => r.data);

export interface LicenseState {
  status: LicenseStatus | undefined;
  loading: boolean;
  error: Error | null;
  reload: () => void;
  /** undefined while the status is not known yet. */
  hasFeature: (f: Feature) => boolean | undefined;
}

const LicenseContext = createContext<LicenseState | null>(null);

/** Loads the license status once the operator is signed in; the layout, the gates and the pages read it. */
export function LicenseProvider({ children }: { children: ReactNode }) {
  const res = useResource('license', fetchLicenseStatus);
  const { reload } = res;
  const value = useMemo<LicenseState>(
    () => ({
      status: res.data,
      loading: res.loading,
      error: res.error,
      reload,
      hasFeature: (f: Feature) => (res.data ? res.data.features.includes(f) : undefined),
    }),
    [res.data, res.loading, res.error, reload],
  );
  return <LicenseContext.Provider value={value}>{children}</LicenseContext.Provider>;
}

/** License status from GET /api/v1/license/status (fetched once by LicenseProvider). */
export function useLicense(): LicenseState {
  const ctx = useContext(LicenseContext);
  if (!ctx) throw new Error('useLicense must be used inside <LicenseProvider>');
  return ctx;
}
