import { describe, expect, it, vi } from 'vitest';
import { LICENSE_403, mockApi, signIn, TOKENS } from '@/testing/mock-api';
import { api, ensureFreshToken, fetchList, setUnauthorizedHandler } from './api-client';
import { authApi } from './auth';
import { LicenseError, ValidationError } from './errors';
import { getSession } from './session';

const QOS = '/api/v1/traffic-shaping/policies';

describe('axios client', () => {
  it('logs in, stores the session and attaches the bearer token', async () => {
    const { calls } = mockApi({
      'POST /api/v1/auth/login': () => ({ body: TOKENS }),
      'GET /api/v1/auth/me': () => ({ body: { id: 1, username: 'admin', role: 'admin', created_at: '' } }),
    });
    await authApi.login('admin', 'pw');
    expect(getSession()?.accessToken).toBe('acc-1');
    expect(calls[0].headers.authorization).toBeUndefined();
    await authApi.me();
    expect(calls[1].headers.authorization).toBe('Bearer acc-1');
  });

  it('refreshes the access token before it expires', async () => {
    signIn(30_000); // expires in 30 s: inside the refresh margin
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': (r) => {
        expect(r.body).toEqual({ refresh_token: 'ref-1' });
        return { body: { ...TOKENS, access_token: 'acc-2', refresh_token: 'ref-2' } };
      },
      'GET /api/v1/auth/me': () => ({ body: { id: 1, username: 'admin', role: 'admin', created_at: '' } }),
    });
    await authApi.me();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/refresh', '/api/v1/auth/me']);
    expect(calls[1].headers.authorization).toBe('Bearer acc-2');
    expect(getSession()?.refreshToken).toBe('ref-2');
  });

  it('does not refresh a token with plenty of lifetime left, and refreshes concurrently only once', async () => {
    signIn(10 * 60_000);
    const { calls } = mockApi({ 'POST /api/v1/auth/refresh': () => ({ body: TOKENS }) });
    await ensureFreshToken();
    expect(calls).toHaveLength(0);
    signIn(1000);
    await Promise.all([ensureFreshToken(), ensureFreshToken(), ensureFreshToken()]);
    expect(calls).toHaveLength(1);
  });

  it('clears the session and redirects to login on 401', async () => {
    signIn();
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockApi({ 'GET /api/v1/auth/me': () => ({ status: 401, body: { detail: 'Not authenticated' } }) });
    await expect(authApi.me()).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(getSession()).toBeNull();
  });

  it('does not redirect when the login itself is refused', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockApi({ 'POST /api/v1/auth/login': () => ({ status: 401, body: { detail: 'Invalid username or password' } }) });
    await expect(authApi.login('a', 'b')).rejects.toThrow('Invalid username or password');
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects license 403s with a LicenseError and 422s with a ValidationError', async () => {
    signIn();
    mockApi({
      'GET /api/v1/traffic-shaping/policies': () => LICENSE_403,
      'POST /api/v1/traffic-shaping/policies': () => ({
        status: 422,
        body: {
          detail: [
            { loc: ['body', 'bandwidth', 'ingress_mbps'], msg: 'must be between 1 and 100000', type: 'value_error' },
          ],
        },
      }),
    });
    await expect(fetchList(QOS)).rejects.toBeInstanceOf(LicenseError);
    const err = await api.post(QOS, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fieldErrors).toEqual({ 'bandwidth.ingress_mbps': 'must be between 1 and 100000' });
  });

  it('reads X-Total-Count for lists', async () => {
    signIn();
    mockApi({ 'GET /api/v1/traffic-shaping/policies': () => ({ body: [], headers: { 'X-Total-Count': '42' } }) });
    const r = await fetchList(QOS, { limit: 1 });
    expect(r.total).toBe(42);
    expect(api.defaults.baseURL).toBe('');
  });
});
