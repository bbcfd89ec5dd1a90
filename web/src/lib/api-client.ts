import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { apiConfig } from '@/config/env';
import type { ListFilters, ListResult, TokenPair } from './api-types';
import { ApiError, errorFromResponse } from './errors';
import { clearSession, getSession, REFRESH_MARGIN_MS, setSessionFromTokens, type Session } from './session';

/**
 * The axios client every feature calls the API through: it adds the bearer token (refreshing it before
 * it expires), and turns error answers into typed errors (lib/errors.ts); a 401 ends the session.
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

// ---------------------------------------------------------------------------
// Axios client
// ---------------------------------------------------------------------------

const AUTH_FREE = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/healthz', '/readyz'];

export const api: AxiosInstance = axios.create({
  baseURL: apiConfig.ok ? apiConfig.baseUrl : '',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  timeout: 30_000,
});

let refreshing: Promise<Session | null> | null = null;

/** Exchange the refresh token for a new access token (deduplicated across concurrent callers). */
export function refreshSession(): Promise<Session | null> {
  if (refreshing) return refreshing;
  const current = getSession();
  if (!current) return Promise.resolve(null);
  refreshing = api
    .post<TokenPair>('/api/v1/auth/refresh', { refresh_token: current.refreshToken })
    .then((r) => setSessionFromTokens(r.data))
    .finally(() => {
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

function isAuthFree(url: string | undefined): boolean {
  return !!url && AUTH_FREE.some((p) => url.endsWith(p));
}

api.interceptors.request.use(async (config: InternalAxiosRequestConfig) => {
  if (isAuthFree(config.url)) return config;
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
    const url = err.config?.url;
    if (status === 401 && !url?.endsWith('/api/v1/auth/login')) {
      clearSession();
      unauthorizedHandler();
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
