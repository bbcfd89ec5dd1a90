import { queryOptions, useQuery } from '@tanstack/react-query';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { api } from './api-client';
import type { Schemas } from './api-types';

export type LicenseStatus = Schemas['LicenseStatus'];

/** The Enterprise features the console gates (LicenseStatus.features lists them as plain strings). */
export type Feature = 'traffic_shaping' | 'multi_cloud_routing' | 'distributed_tracing';

export const fetchLicenseStatus = () => api.get<LicenseStatus>('/api/v1/license/status').then((r) => r.data);

export const licenseKeys = { status: ['license', 'status'] as const };

export const licenseStatusQueryOptions = () =>
  queryOptions({ queryKey: licenseKeys.status, queryFn: fetchLicenseStatus });

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
  const { data, isPending, error, refetch } = useQuery(licenseStatusQueryOptions());
  const value = useMemo<LicenseState>(
    () => ({
      status: data,
      loading: isPending,
      error,
      reload: () => {
        void refetch();
      },
      hasFeature: (f: Feature) => (data ? data.features.includes(f) : undefined),
    }),
    [data, isPending, error, refetch],
  );
  return <LicenseContext.Provider value={value}>{children}</LicenseContext.Provider>;
}

/** License status from GET /api/v1/license/status (loaded by LicenseProvider). */
export function useLicense(): LicenseState {
  const ctx = useContext(LicenseContext);
  if (!ctx) throw new Error('useLicense must be used inside <LicenseProvider>');
  return ctx;
}
