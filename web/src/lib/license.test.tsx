import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { licenseStatus, mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { LicenseProvider, useLicense } from './license';

describe('useLicense', () => {
  it('loads the status and answers hasFeature', async () => {
    signIn();
    mockApi({ 'GET /api/v1/license/status': () => ({ body: licenseStatus(['distributed_tracing']) }) });
    const QueryWrapper = withQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryWrapper>
        <LicenseProvider>{children}</LicenseProvider>
      </QueryWrapper>
    );
    const { result } = renderHook(() => useLicense(), { wrapper });
    expect(result.current.loading).toBe(true);
    expect(result.current.hasFeature('distributed_tracing')).toBeUndefined();
    await waitFor(() => expect(result.current.status).toBeDefined());
    expect(result.current.hasFeature('distributed_tracing')).toBe(true);
    expect(result.current.hasFeature('traffic_shaping')).toBe(false);
  });

  it('throws outside its provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => renderHook(() => useLicense(), { wrapper: withQueryClient() })).toThrow(/LicenseProvider/);
  });
});
