import { afterEach, describe, expect, it, vi } from 'vitest';
import { LICENSE_403, mockApi, signIn, TOKENS } from '@/testing/mock-api';
import { api, ensureFreshToken, fetchList, refreshSession, setUnauthorizedHandler } from './api-client';
import { authApi } from './auth';
import { LicenseError, ValidationError } from './errors';
import { getSession, setSessionFromTokens } from './session';

const ME = { id: 1, username: 'admin', role: 'admin', created_at: '' };

/** A promise and the function that settles it: lets a fake server answer when the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

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

describe('token rotation', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('stores each new refresh token and never sends a spent one again', async () => {
    signIn(30_000);
    let n = 1;
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': (r) => {
        // The server's rotation: only the latest refresh token works.
        if ((r.body as { refresh_token: string }).refresh_token !== `ref-${n}`) return { status: 401 };
        n += 1;
        return { body: { ...TOKENS, access_token: `acc-${n}`, refresh_token: `ref-${n}`, expires_in: 30 } };
      },
      'GET /api/v1/auth/me': () => ({ body: ME }),
    });
    await authApi.me();
    await authApi.me(); // the new token expires within the margin too: refreshed again, with ref-2
    const refreshes = calls.filter((c) => c.url === '/api/v1/auth/refresh').map((c) => c.body);
    expect(refreshes).toEqual([{ refresh_token: 'ref-1' }, { refresh_token: 'ref-2' }]);
    expect(getSession()).toMatchObject({ accessToken: 'acc-3', refreshToken: 'ref-3' });
    expect(calls.filter((c) => c.url === '/api/v1/auth/me').map((c) => c.headers.authorization)).toEqual([
      'Bearer acc-2',
      'Bearer acc-3',
    ]);
  });

  it('refreshes once for concurrent requests, which all use the new token', async () => {
    signIn(1000);
    const answer = gate();
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': async () => {
        await answer.opened;
        return { body: { ...TOKENS, access_token: 'acc-2', refresh_token: 'ref-2' } };
      },
      'GET /api/v1/auth/me': () => ({ body: ME }),
      'GET /api/v1/clusters': () => ({ body: [] }),
    });
    const both = Promise.all([authApi.me(), fetchList('/api/v1/clusters'), refreshSession()]);
    answer.open();
    await both;
    expect(calls.filter((c) => c.url === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'GET').map((c) => c.headers.authorization)).toEqual([
      'Bearer acc-2',
      'Bearer acc-2',
    ]);
    expect(getSession()?.refreshToken).toBe('ref-2');
  });

  it('retries requests whose token was replaced under way (a password change) instead of signing out', async () => {
    signIn();
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    const answer = gate();
    const { calls } = mockApi({
      // The old access token is revoked by the time the server answers.
      'GET /api/v1/auth/me': async (r) => {
        if (r.headers.authorization !== 'Bearer acc-1') return { body: ME };
        await answer.opened;
        return { status: 401, body: { detail: 'Not authenticated' } };
      },
    });
    const both = Promise.all([authApi.me(), authApi.me()]);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    setSessionFromTokens({ ...TOKENS, access_token: 'acc-2', refresh_token: 'ref-2' });
    answer.open();
    await expect(both).resolves.toEqual([ME, ME]);
    expect(calls.map((c) => c.headers.authorization)).toEqual([
      'Bearer acc-1',
      'Bearer acc-1',
      'Bearer acc-2',
      'Bearer acc-2',
    ]);
    expect(calls.some((c) => c.url === '/api/v1/auth/refresh')).toBe(false);
    expect(handler).not.toHaveBeenCalled();
    expect(getSession()?.accessToken).toBe('acc-2');
  });

  it('signs out when the current token is refused, without trying a refresh', async () => {
    signIn();
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    const { calls } = mockApi({
      'GET /api/v1/auth/me': () => ({ status: 401, body: { detail: 'Not authenticated' } }),
    });
    const results = await Promise.allSettled([authApi.me(), authApi.me()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/me', '/api/v1/auth/me']);
    expect(handler).toHaveBeenCalled();
    expect(getSession()).toBeNull();
  });

  it('signs out when the refresh token is refused', async () => {
    signIn(1000);
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockApi({ 'POST /api/v1/auth/refresh': () => ({ status: 401, body: { detail: 'Not authenticated' } }) });
    await expect(authApi.me()).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(getSession()).toBeNull();
  });

  it('uses the pair another tab stored when that tab spent the refresh token first', async () => {
    signIn(1000);
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': () => {
        // The other tab won the race: its new pair is in the shared storage, ref-1 is spent.
        setSessionFromTokens({ ...TOKENS, access_token: 'acc-tab', refresh_token: 'ref-tab' });
        return { status: 401, body: { detail: 'Not authenticated' } };
      },
      'GET /api/v1/auth/me': () => ({ body: ME }),
    });
    await expect(authApi.me()).resolves.toEqual(ME);
    expect(calls[1].headers.authorization).toBe('Bearer acc-tab');
    expect(handler).not.toHaveBeenCalled();
    expect(getSession()?.refreshToken).toBe('ref-tab');
  });

  it('takes the Web Lock, and does not refresh when another tab did while it waited', async () => {
    signIn(1000);
    const names: string[] = [];
    vi.stubGlobal('navigator', {
      ...navigator,
      locks: {
        request: async (name: string, fn: () => Promise<unknown>) => {
          names.push(name);
          // While this tab waited for the lock, the other tab refreshed.
          setSessionFromTokens({ ...TOKENS, access_token: 'acc-tab', refresh_token: 'ref-tab' });
          return fn();
        },
      },
    });
    const { calls } = mockApi({ 'GET /api/v1/auth/me': () => ({ body: ME }) });
    await authApi.me();
    expect(names).toEqual(['marchproxy.session']);
    expect(calls.map((c) => [c.url, c.headers.authorization])).toEqual([['/api/v1/auth/me', 'Bearer acc-tab']]);
  });

  it('does not bring a session back when the user signed out during a refresh, and revokes its new pair', async () => {
    signIn(30_000);
    const answer = gate();
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': async () => {
        await answer.opened;
        return { body: { ...TOKENS, access_token: 'acc-2', refresh_token: 'ref-2' } };
      },
      'POST /api/v1/auth/logout': () => ({ status: 204 }),
    });
    const refreshed = refreshSession();
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const signedOut = authApi.logout();
    expect(getSession()).toBeNull();
    answer.open();
    await expect(refreshed).resolves.toBeNull();
    await signedOut;
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    expect(getSession()).toBeNull();
    const logouts = calls.filter((c) => c.url === '/api/v1/auth/logout');
    expect(logouts.map((c) => [c.headers.authorization, c.body])).toEqual(
      expect.arrayContaining([
        ['Bearer acc-1', { refresh_token: 'ref-1' }],
        ['Bearer acc-2', { refresh_token: 'ref-2' }],
      ]),
    );
  });
});
