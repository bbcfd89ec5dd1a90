import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { apiConfig } from '../config';
import { ApiError, errorFromResponse } from './errors';
import type {
  Cluster,
  ClusterCreated,
  ClusterInput,
  CostAnalytics,
  DependencyGraph,
  EndpointHealth,
  FailoverRequest,
  FailoverResult,
  Health,
  LatencyHistogram,
  LatencyParams,
  LicenseStatus,
  ListFilters,
  ListResult,
  Proxy,
  QosPolicy,
  QosPolicyInput,
  QosStats,
  Ready,
  RouteTable,
  RouteTableInput,
  Service,
  ServiceInput,
  SpanSearchParams,
  SpanSearchResult,
  TokenResponse,
  Trace,
  TracingConfig,
  TracingConfigInput,
  TracingStats,
  TracingTestResult,
  User,
  UserInput,
} from './types';

export { ApiError, LicenseError, ValidationError, errorFromResponse, errorMessage, locToPath } from './errors';

// ---------------------------------------------------------------------------
// Session (tokens) — kept in localStorage so a reload keeps the operator signed in.
// ---------------------------------------------------------------------------

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms at which the access token expires. */
  expiresAt: number;
}

const SESSION_KEY = 'marchproxy.session';
/** Refresh when less than this much lifetime is left. */
export const REFRESH_MARGIN_MS = 60_000;

export function getSession(): Session | null {
  try {
    const raw = window.localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.accessToken !== 'string' || typeof s.refreshToken !== 'string') return null;
    return s;
  } catch {
    return null;
  }
}

export function setSessionFromTokens(t: TokenResponse, now: number = Date.now()): Session {
  const s: Session = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: now + t.expires_in * 1000,
  };
  window.localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  notifySession();
  return s;
}

export function clearSession(): void {
  window.localStorage.removeItem(SESSION_KEY);
  notifySession();
}

type SessionListener = (s: Session | null) => void;
const sessionListeners = new Set<SessionListener>();
export function onSessionChange(fn: SessionListener): () => void {
  sessionListeners.add(fn);
  return () => sessionListeners.delete(fn);
}
function notifySession() {
  const s = getSession();
  sessionListeners.forEach((fn) => fn(s));
}

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
    .post<TokenResponse>('/api/v1/auth/refresh', { refresh_token: current.refreshToken })
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
// Endpoints
// ---------------------------------------------------------------------------

function totalOf(headers: Record<string, unknown>, fallback: number): number {
  const raw = headers['x-total-count'];
  const n = Number(raw);
  return raw !== undefined && raw !== null && Number.isFinite(n) ? n : fallback;
}

async function list<T>(url: string, params?: ListFilters | Record<string, unknown>): Promise<ListResult<T>> {
  const r = await api.get<T[]>(url, { params });
  const items = Array.isArray(r.data) ? r.data : [];
  return { items, total: totalOf(r.headers as Record<string, unknown>, items.length) };
}

export const authApi = {
  async login(username: string, password: string): Promise<Session> {
    const r = await api.post<TokenResponse>('/api/v1/auth/login', { username, password });
    return setSessionFromTokens(r.data);
  },
  me: () => api.get<User>('/api/v1/auth/me').then((r) => r.data),
  logout: () => clearSession(),
};

export const usersApi = {
  list: () => list<User>('/api/v1/users'),
  create: (u: UserInput) => api.post<User>('/api/v1/users', u).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/users/${id}`).then(() => undefined),
};

export const metaApi = {
  health: () => api.get<Health>('/healthz').then((r) => r.data),
  ready: () => api.get<Ready>('/readyz').then((r) => r.data),
};

export const licenseApi = {
  status: () => api.get<LicenseStatus>('/api/v1/license/status').then((r) => r.data),
  refresh: () => api.post<LicenseStatus>('/api/v1/license/refresh').then((r) => r.data),
};

export const clustersApi = {
  list: () => list<Cluster>('/api/v1/clusters'),
  create: (c: ClusterInput) => api.post<ClusterCreated>('/api/v1/clusters', c).then((r) => r.data),
  update: (id: number, c: ClusterInput) => api.put<Cluster>(`/api/v1/clusters/${id}`, c).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/clusters/${id}`).then(() => undefined),
  rotateKey: (id: number) => api.post<{ api_key: string }>(`/api/v1/clusters/${id}/rotate-key`).then((r) => r.data),
};

export const servicesApi = {
  list: (clusterId?: number) => list<Service>('/api/v1/services', clusterId ? { cluster_id: clusterId } : undefined),
  create: (s: ServiceInput) => api.post<Service>('/api/v1/services', s).then((r) => r.data),
  update: (id: number, s: ServiceInput) => api.put<Service>(`/api/v1/services/${id}`, s).then((r) => r.data),
  remove: (id: number) => api.delete(`/api/v1/services/${id}`).then(() => undefined),
};

export const proxiesApi = {
  list: (clusterId?: number) => list<Proxy>('/api/v1/proxies', clusterId ? { cluster_id: clusterId } : undefined),
};

const QOS = '/api/v1/traffic-shaping/policies';
export const trafficShapingApi = {
  list: (f?: ListFilters) => list<QosPolicy>(QOS, f),
  get: (id: number) => api.get<QosPolicy>(`${QOS}/${id}`).then((r) => r.data),
  create: (p: QosPolicyInput) => api.post<QosPolicy>(QOS, p).then((r) => r.data),
  update: (id: number, p: QosPolicyInput) => api.put<QosPolicy>(`${QOS}/${id}`, p).then((r) => r.data),
  remove: (id: number) => api.delete(`${QOS}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<QosPolicy>(`${QOS}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<QosPolicy>(`${QOS}/${id}/disable`).then((r) => r.data),
  stats: (id: number) => api.get<QosStats>(`${QOS}/${id}/stats`).then((r) => r.data),
};

const MC = '/api/v1/multi-cloud/routes';
export const multiCloudApi = {
  list: (f?: ListFilters) => list<RouteTable>(MC, f),
  get: (id: number) => api.get<RouteTable>(`${MC}/${id}`).then((r) => r.data),
  create: (t: RouteTableInput) => api.post<RouteTable>(MC, t).then((r) => r.data),
  update: (id: number, t: RouteTableInput) => api.put<RouteTable>(`${MC}/${id}`, t).then((r) => r.data),
  remove: (id: number) => api.delete(`${MC}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<RouteTable>(`${MC}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<RouteTable>(`${MC}/${id}/disable`).then((r) => r.data),
  health: (id: number) => api.get<EndpointHealth[]>(`${MC}/${id}/health`).then((r) => r.data),
  testFailover: (id: number, req: FailoverRequest) =>
    api.post<FailoverResult>(`${MC}/${id}/test-failover`, req, { timeout: 120_000 }).then((r) => r.data),
  costAnalytics: (days: number, clusterId?: number) =>
    api
      .get<CostAnalytics>('/api/v1/multi-cloud/analytics/cost', {
        params: clusterId ? { days, cluster_id: clusterId } : { days },
      })
      .then((r) => r.data),
};

const TR = '/api/v1/observability/tracing';
export const observabilityApi = {
  list: (f?: ListFilters) => list<TracingConfig>(TR, f),
  get: (id: number) => api.get<TracingConfig>(`${TR}/${id}`).then((r) => r.data),
  create: (c: TracingConfigInput) => api.post<TracingConfig>(TR, c).then((r) => r.data),
  update: (id: number, c: TracingConfigInput) => api.put<TracingConfig>(`${TR}/${id}`, c).then((r) => r.data),
  remove: (id: number) => api.delete(`${TR}/${id}`).then(() => undefined),
  enable: (id: number) => api.post<TracingConfig>(`${TR}/${id}/enable`).then((r) => r.data),
  disable: (id: number) => api.post<TracingConfig>(`${TR}/${id}/disable`).then((r) => r.data),
  stats: (id: number) => api.get<TracingStats>(`${TR}/${id}/stats`).then((r) => r.data),
  test: (id: number) => api.post<TracingTestResult>(`${TR}/${id}/test`, {}, { timeout: 60_000 }).then((r) => r.data),
  searchSpans: (p: SpanSearchParams) =>
    api.get<SpanSearchResult>('/api/v1/observability/spans/search', { params: p }).then((r) => r.data),
  trace: (traceId: string) =>
    api.get<Trace>(`/api/v1/observability/traces/${encodeURIComponent(traceId)}`).then((r) => r.data),
  dependencies: () => api.get<DependencyGraph>('/api/v1/observability/dependencies').then((r) => r.data),
  latency: (p: LatencyParams) =>
    api.get<LatencyHistogram>('/api/v1/observability/latency', { params: p }).then((r) => r.data),
};
