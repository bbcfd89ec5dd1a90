import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { useLatencyHistogram } from './traces';

describe('useLatencyHistogram', () => {
  it('asks for the histogram with trimmed filters and refetches when they change', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/observability/latency': (r) => ({
        body: {
          count: r.params?.service === 'api' ? 3 : 0,
          p50_ms: r.params?.service === 'api' ? 4 : null,
          p90_ms: r.params?.service === 'api' ? 9 : null,
          p99_ms: r.params?.service === 'api' ? 12 : null,
          buckets: [
            { le_ms: 5, count: r.params?.service === 'api' ? 1 : 0 },
            { le_ms: null, count: r.params?.service === 'api' ? 2 : 0 },
          ],
        },
      }),
    });
    const { result, rerender } = renderHook((p: { service: string; hours: number }) => useLatencyHistogram(p, 0), {
      initialProps: { service: '  ', hours: 1 },
      wrapper: withQueryClient(),
    });
    await waitFor(() => expect(result.current.data?.count).toBe(0));
    expect(result.current.data?.p50_ms).toBeNull();
    expect(calls.at(-1)?.params).toEqual({ hours: 1 });
    rerender({ service: ' api ', hours: 6 });
    await waitFor(() => expect(result.current.data?.count).toBe(3));
    expect(calls.at(-1)?.params).toEqual({ hours: 6, service: 'api' });
    expect(result.current.data?.buckets.at(-1)).toEqual({ le_ms: null, count: 2 });
    expect(result.current.data?.p99_ms).toBe(12);
  });
});
