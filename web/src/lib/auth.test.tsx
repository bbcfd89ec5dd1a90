import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { mockApi, signIn, TOKENS, type Handler } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { setUnauthorizedHandler } from './api-client';
import { AuthProvider, authApi, useAuth } from './auth';
import { getSession } from './session';

const ME = { id: 1, username: 'admin', role: 'admin', created_at: '' };

function renderAuth() {
  const QueryWrapper = withQueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryWrapper>
      <AuthProvider>{children}</AuthProvider>
    </QueryWrapper>
  );
  return renderHook(() => useAuth(), { wrapper });
}

describe('sign-out', () => {
  it('forgets the tokens at once and asks the server to revoke them', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/auth/me': () => ({ body: ME }),
      'POST /api/v1/auth/logout': () => ({ status: 204 }),
    });
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.user?.username).toBe('admin'));

    let revoked: Promise<void> = Promise.resolve();
    act(() => {
      revoked = result.current.logout();
    });
    // Signed out before the server answers.
    expect(getSession()).toBeNull();
    expect(result.current.session).toBeNull();
    expect(result.current.signedOut).toBe(true);
    await act(() => revoked);
    const logout = calls.find((c) => c.url === '/api/v1/auth/logout');
    expect(logout).toMatchObject({
      method: 'POST',
      body: { refresh_token: 'ref-1' },
      headers: { authorization: 'Bearer acc-1' },
    });
  });

  it('signs out even when the server refuses or cannot be reached', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    const replies: Handler[] = [
      () => ({ status: 401, body: { detail: 'Not authenticated' } }),
      () => ({ status: 500 }),
      () => {
        throw new Error('Network Error');
      },
    ];
    for (const reply of replies) {
      signIn();
      const { calls } = mockApi({ 'POST /api/v1/auth/logout': reply });
      const { result, unmount } = renderAuth();
      await act(() => result.current.logout());
      expect(getSession()).toBeNull();
      expect(calls.filter((c) => c.url === '/api/v1/auth/logout')).toHaveLength(1);
      unmount();
    }
    // A refused sign-out does not count as a session that ended unexpectedly.
    expect(handler).not.toHaveBeenCalled();
  });

  it('renews an expired access token first, to revoke the refresh token too', async () => {
    signIn(-1000);
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': () => ({ body: { ...TOKENS, access_token: 'acc-2', refresh_token: 'ref-2' } }),
      'POST /api/v1/auth/logout': () => ({ status: 204 }),
    });
    await authApi.logout();
    expect(calls.map((c) => [c.url, c.headers.authorization, c.body])).toEqual([
      ['/api/v1/auth/refresh', undefined, { refresh_token: 'ref-1' }],
      ['/api/v1/auth/logout', 'Bearer acc-2', { refresh_token: 'ref-2' }],
    ]);
    expect(getSession()).toBeNull();
  });
});
