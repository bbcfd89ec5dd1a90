import axios, { AxiosError, AxiosHeaders, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { apiConfig } from '@/config/env';
import type { ListFilters, ListResult, TokenPair } from './api-types';
import { ApiError, errorFromResponse } from './errors';
import { clearSession, getSession, REFRESH_MARGIN_MS, setSessionFromTokens, type Session } from './session';

/**
 * The axios client every feature calls the API through: it adds the bearer token (refreshing it before
 * it expires, one refresh at a time: a refresh token works once), and turns error answers into typed errors
 * (lib/errors.ts). A 401 ends the session, unless the tokens were replaced while the request was under
 * way (then it is sent again, once, with the current token).
 */

/** Called when the API answers 401: by default the browser goes to /login. */
let unauthorizedHandler: () => void = () => {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname !== '/login') {
    window.location.assign(`/login?next=${encodeURIComponent(here)}`);
  }
};
export function setUnauthorizedHandler(fn: () => void): void {
  unauthorizedHandler = fn;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Set on the one retry of a request whose token was replaced while it was under way. */
    sessionRetry?: boolean;
  }
}

// ---------------------------------------------------------------------------
// Axios client
// ---------------------------------------------------------------------------

const LOGIN = '/api/v1/auth/login';
const REFRESH = '/api/v1/auth/refresh';
const LOGOUT = '/api/v1/auth/logout';
/** Requests that get no session token added (sign-out brings the token it revokes). */
const AUTH_FREE = [LOGIN, REFRESH, LOGOUT, '/healthz', '/readyz'];
/**
 * Requests whose 401 does not end the session here: a refused login, a refused sign-out (the session is
 * gone already), a refused refresh (refreshSession decides).
 */
const OWN_401 = [LOGIN, REFRESH, LOGOUT];

export const api: AxiosInstance = axios.create({
  baseURL: apiConfig.ok ? apiConfig.baseUrl : '',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  timeout: 30_000,
});

function endSession(): void {
  clearSession();
  unauthorizedHandler();
}

/** Run `fn` while holding the console's session lock, shared by its tabs where the browser has Web Locks. */
function withSessionLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Partial<Navigator>).locks;
  return locks ? locks.request('marchproxy.session', fn) : fn();
}

/** Revoke a token pair (best effort: a failure is ignored). */
async function revoke(accessToken: string, refreshToken: string): Promise<void> {
  await api
    .post(LOGOUT, { refresh_token: refreshToken }, { headers: { Authorization: `Bearer ${accessToken}` } })
    .catch(() => undefined);
}

/** Spend refresh token `seen` (unless it was replaced meanwhile) and store the new pair. */
async function rotate(seen: string): Promise<Session | null> {
  const before = getSession();
  // Signed out, or another tab (or a password change) replaced the token while this one waited.
  if (!before || before.refreshToken !== seen) return before;
  let pair: TokenPair;
  try {
    pair = (await api.post<TokenPair>(REFRESH, { refresh_token: seen })).data;
  } catch (err) {
    const now = getSession();
    // Another tab spent the token first (browsers without Web Locks): its new pair is already stored.
    if (now && now.refreshToken !== seen) return now;
    if (err instanceof ApiError && err.status === 401) endSession();
    throw err;
  }
  const now = getSession();
  if (now?.refreshToken === seen) return setSessionFromTokens(pair);
  // Signed out (or the session replaced) while the refresh was under way: do not bring it back.
  void revoke(pair.access_token, pair.refresh_token);
  return now;
}

let refreshing: Promise<Session | null> | null = null;

/**
 * Exchange the refresh token for new tokens and store them. A refresh token works once (the server rotates
 * it), so the console never sends one twice: concurrent callers in a tab share one refresh, tabs take turns
 * (Web Locks), and a caller that finds the token already replaced uses the new one.
 */
export function refreshSession(): Promise<Session | null> {
  if (refreshing) return refreshing;
  const current = getSession();
  if (!current) return Promise.resolve(null);
  refreshing = withSessionLock(() => rotate(current.refreshToken)).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Refresh the access token if it expires within REFRESH_MARGIN_MS. */
export async function ensureFreshToken(now: number = Date.now()): Promise<Session | null> {
  const s = getSession();
  if (!s) return null;
  if (s.expiresAt - now > REFRESH_MARGIN_MS) return s;
  return refreshSession();
}

/**
 * Sign out: forget the session at once, then ask the server to revoke its access and refresh tokens (best
 * effort: the console is signed out whatever the server answers). An expired access token is renewed first,
 * since only a valid one may revoke the refresh token.
 */
export async function signOut(now: number = Date.now()): Promise<void> {
  const s = getSession();
  clearSession();
  if (!s) return;
  let { accessToken, refreshToken } = s;
  if (s.expiresAt <= now + 5_000) {
    try {
      const pair = (await api.post<TokenPair>(REFRESH, { refresh_token: refreshToken })).data;
      ({ access_token: accessToken, refresh_token: refreshToken } = pair);
    } catch {
      return; // spent or expired already: nothing left to revoke
    }
  }
  await revoke(accessToken, refreshToken);
}

function matches(url: string | undefined, paths: string[]): boolean {
  return !!url && paths.some((p) => url.endsWith(p));
}

function bearerOf(config: InternalAxiosRequestConfig): string | undefined {
  const v = AxiosHeaders.from(config.headers).get('Authorization');
  return typeof v === 'string' && v.startsWith('Bearer ') ? v.slice('Bearer '.length) : undefined;
}

api.interceptors.request.use(async (config: InternalAxiosRequestConfig) => {
  if (matches(config.url, AUTH_FREE)) return config;
  const s = await ensureFreshToken();
  if (s) config.headers.set('Authorization', `Bearer ${s.accessToken}`);
  return config;
});

api.interceptors.response.use(
  (r) => r,
  (err: unknown) => {
    if (err instanceof ApiError) return Promise.reject(err);
    if (!(err instanceof AxiosError)) return Promise.reject(err);
    const status = err.response?.status ?? 0;
    const retryAfter = err.response?.headers?.['retry-after'] as string | undefined;
    const mapped = errorFromResponse(status, err.response?.data, retryAfter ?? null);
    const config = err.config;
    if (status === 401 && !matches(config?.url, OWN_401)) {
      const sent = config && bearerOf(config);
      const current = getSession();
      if (config && sent && current && current.accessToken !== sent && !config.sessionRetry) {
        // The tokens were replaced while this request was under way (a password change revokes the old
        // ones): the session is fine, so send the request again, once, with the current token.
        return api.request({ ...config, sessionRetry: true });
      }
      endSession();
    }
    return Promise.reject(mapped);
  },
);

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

function totalOf(headers: Record<string, unknown>, fallback: number): number {
  const raw = headers['x-total-count'];
  const n = Number(raw);
  return raw !== undefined && raw !== null && Number.isFinite(n) ? n : fallback;
}

/** GET a list endpoint: its items, and the total from `X-Total-Count`. */
export async function fetchList<T>(url: string, params?: ListFilters): Promise<ListResult<T>> {
  const r = await api.get<T[]>(url, { params });
  const items = Array.isArray(r.data) ? r.data : [];
  return { items, total: totalOf(r.headers as Record<string, unknown>, items.length) };
}
