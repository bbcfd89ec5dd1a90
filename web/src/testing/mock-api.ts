import {
  AxiosError,
  AxiosHeaders,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { api } from '@/lib/api-client';

export interface MockRequest {
  method: string;
  url: string;
  params: Record<string, unknown> | undefined;
  body: unknown;
  headers: Record<string, string>;
}

export interface MockReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: MockRequest) => MockReply | Promise<MockReply>;

/**
 * Route the shared axios client to an in-memory fake server.
 * `routes` keys are "METHOD /path" (no query string); unknown routes answer 404.
 */
export function mockApi(routes: Record<string, Handler>) {
  const calls: MockRequest[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const method = (config.method ?? 'get').toUpperCase();
    const url = config.url ?? '';
    const headers: Record<string, string> = {};
    const h = AxiosHeaders.from(config.headers as AxiosHeaders);
    for (const [k, v] of Object.entries(h.toJSON())) headers[k.toLowerCase()] = String(v);
    const req: MockRequest = {
      method,
      url,
      params: config.params as Record<string, unknown> | undefined,
      body: typeof config.data === 'string' && config.data ? JSON.parse(config.data) : config.data,
      headers,
    };
    calls.push(req);
    const handler = routes[`${method} ${url}`];
    const reply: MockReply = handler ? await handler(req) : { status: 404, body: { detail: 'Not found' } };
    const status = reply.status ?? 200;
    const response: AxiosResponse = {
      data: reply.body,
      status,
      statusText: String(status),
      headers: Object.fromEntries(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      config,
      request: {},
    };
    if (status >= 400) {
      throw new AxiosError(
        `Request failed with status code ${status}`,
        AxiosError.ERR_BAD_RESPONSE,
        config,
        {},
        response,
      );
    }
    return response;
  };
  api.defaults.adapter = adapter;
  return { calls };
}

export const TOKENS = { access_token: 'acc-1', refresh_token: 'ref-1', token_type: 'bearer', expires_in: 1800 };

export function signIn(expiresInMs = 1_800_000) {
  window.localStorage.setItem(
    'marchproxy.session',
    JSON.stringify({ accessToken: 'acc-1', refreshToken: 'ref-1', expiresAt: Date.now() + expiresInMs }),
  );
}

export function licenseStatus(
  features: string[],
  tier: 'community' | 'enterprise' | 'development' = features.length ? 'enterprise' : 'community',
) {
  return {
    tier,
    valid: true,
    features,
    limits: { max_proxies: features.length ? null : 3 },
    expires_at: null,
    source: features.length ? 'license_server' : 'none',
    key_hint: null,
    last_validated_at: null,
    message: null,
    release_mode: true,
  };
}

export const LICENSE_403 = {
  status: 403,
  body: {
    detail: {
      error: 'Enterprise feature not available',
      feature: 'traffic_shaping',
      message: 'Traffic shaping requires an Enterprise license',
      upgrade_url: 'https://www.penguintech.io/marchproxy/pricing',
    },
  },
};
