import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './index';
import { getSession } from '@/lib/session';
import { licenseStatus, mockApi, TOKENS } from '@/testing/mock-api';

function fakeServer(features: string[]) {
  return mockApi({
    'POST /api/v1/auth/login': (r) => {
      const b = r.body as { username: string; password: string };
      return b.password === 'right'
        ? { body: TOKENS }
        : { status: 401, body: { detail: 'Invalid username or password' } };
    },
    'GET /api/v1/auth/me': () => ({ body: { id: 1, username: 'admin', role: 'admin', created_at: '' } }),
    'GET /api/v1/license/status': () => ({ body: licenseStatus(features) }),
    'GET /healthz': () => ({ body: { status: 'ok' } }),
    'GET /readyz': () => ({ body: { status: 'ready', database: 'sqlite' } }),
    'GET /api/v1/clusters': () => ({ body: [] }),
    'GET /api/v1/services': () => ({ body: [] }),
    'GET /api/v1/proxies': () => ({ body: [] }),
    'GET /api/v1/traffic-shaping/policies': () => ({ body: [] }),
    'POST /api/v1/auth/logout': () => ({ status: 204 }),
  });
}

describe('App', () => {
  it('sends a signed-out user to login, then back to the page they asked for', async () => {
    window.history.pushState({}, '', '/traffic-shaping');
    const { calls } = fakeServer([]);
    const user = userEvent.setup();
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'MarchProxy' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');

    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid username or password');

    await user.clear(screen.getByLabelText('Password'));
    await user.type(screen.getByLabelText('Password'), 'right');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    // Community license: the gate, and the feature API is never called.
    expect(await screen.findByRole('button', { name: 'Upgrade to Enterprise' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/traffic-shaping');
    expect(getSession()?.accessToken).toBe('acc-1');
    expect(calls.some((c) => c.url.startsWith('/api/v1/traffic-shaping'))).toBe(false);
  });

  it('shows the feature with an Enterprise license, and signs out', async () => {
    window.history.pushState({}, '', '/traffic-shaping');
    window.localStorage.setItem(
      'marchproxy.session',
      JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 }),
    );
    const { calls } = fakeServer(['traffic_shaping']);
    const user = userEvent.setup();
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Traffic Shaping', level: 1 })).toBeInTheDocument();
    expect(await screen.findByText('No QoS policies')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
    expect(window.location.search).toBe('');
    expect(getSession()).toBeNull();
    // The server revokes the session's tokens.
    await waitFor(() =>
      expect(calls.find((c) => c.url === '/api/v1/auth/logout')).toMatchObject({
        body: { refresh_token: 'r' },
        headers: { authorization: 'Bearer a' },
      }),
    );
  });

  it('opens the change-password page from the top bar', async () => {
    window.history.pushState({}, '', '/dashboard');
    window.localStorage.setItem(
      'marchproxy.session',
      JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 }),
    );
    fakeServer([]);
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('link', { name: 'Change password' }));
    expect(await screen.findByRole('heading', { name: 'Change password', level: 1 })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/account/password');
    expect(screen.getByLabelText('Current password')).toBeInTheDocument();
  });

  it('goes back to login when the API answers 401', async () => {
    window.history.pushState({}, '', '/dashboard');
    window.localStorage.setItem(
      'marchproxy.session',
      JSON.stringify({ accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 }),
    );
    mockApi({
      'GET /api/v1/auth/me': () => ({ status: 401, body: { detail: 'Not authenticated' } }),
      'GET /api/v1/license/status': () => ({ status: 401, body: { detail: 'Not authenticated' } }),
    });
    render(<App />);
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
  });
});
