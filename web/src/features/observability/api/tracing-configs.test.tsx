import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { useSpanSearch } from './traces';
import { useTestConnection, useTracingConfigs } from './tracing-configs';

describe('tracing config hooks', () => {
  it('lists configs, tests a connection and searches spans', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/observability/tracing': () => ({ body: [{ id: 9, name: 'jaeger' }] }),
      'POST /api/v1/observability/tracing/9/test': () => ({
        body: {
          success: false,
          latency_ms: 1.5,
          backend: 'jaeger',
          exporter: 'http',
          endpoint: 'http://x',
          trace_id: 'abc',
          error: 'connection refused',
        },
      }),
      'GET /api/v1/observability/spans/search': () => ({ body: { total: 0, spans: [], errors: [] } }),
    });
    const { result } = renderHook(
      () => ({ configs: useTracingConfigs(), test: useTestConnection(), search: useSpanSearch() }),
      { wrapper: withQueryClient() },
    );
    await waitFor(() => expect(result.current.configs.data?.items).toHaveLength(1));
    const t = await result.current.test.mutateAsync(9);
    expect(t.error).toBe('connection refused');
    await act(() => result.current.search.search({ service: 'api', has_error: true, limit: 20 }));
    expect(result.current.search.result?.total).toBe(0);
    expect(calls.at(-1)?.params).toEqual({ service: 'api', has_error: true, limit: 20 });
  });
});
