import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { LicenseError } from '../services/errors';
import { licenseStatus, LICENSE_403, mockApi, signIn } from '../test/mockApi';
import { LicenseProvider, useLicense } from './useLicense';
import { useCostAnalytics, useMultiCloud, useRouteHealth } from './useMultiCloud';
import { useLatencyHistogram, useObservability, useSpanSearch } from './useObservability';
import { usePolicyStats, useTrafficShaping } from './useTrafficShaping';

const policy = (id: number, enabled = true) => ({
  id,
  name: `p${id}`,
  description: null,
  service_id: 1,
  cluster_id: 1,
  bandwidth: { ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024 },
  priority_config: { priority: 'P1', weight: 50, max_latency_ms: null, dscp_marking: 'AF41' },
  enabled,
  created_at: '',
  updated_at: '',
});

describe('useLicense', () => {
  it('loads the status and answers hasFeature', async () => {
    signIn();
    mockApi({ 'GET /api/v1/license/status': () => ({ body: licenseStatus(['distributed_tracing']) }) });
    const wrapper = ({ children }: { children: ReactNode }) => <LicenseProvider>{children}</LicenseProvider>;
    const { result } = renderHook(() => useLicense(), { wrapper });
    expect(result.current.loading).toBe(true);
    expect(result.current.hasFeature('distributed_tracing')).toBeUndefined();
    await waitFor(() => expect(result.current.status).toBeDefined());
    expect(result.current.hasFeature('distributed_tracing')).toBe(true);
    expect(result.current.hasFeature('traffic_shaping')).toBe(false);
  });

  it('throws outside its provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => renderHook(() => useLicense())).toThrow(/LicenseProvider/);
  });
});

describe('useTrafficShaping', () => {
  it('lists, creates, enables and deletes, reloading after each change', async () => {
    signIn();
    let policies = [policy(1)];
    const { calls } = mockApi({
      'GET /api/v1/traffic-shaping/policies': () => ({
        body: policies,
        headers: { 'x-total-count': String(policies.length) },
      }),
      'POST /api/v1/traffic-shaping/policies': (r) => {
        const p = { ...policy(2), ...(r.body as object), id: 2 };
        policies = [...policies, p];
        return { status: 201, body: p };
      },
      'POST /api/v1/traffic-shaping/policies/2/disable': () => {
        policies = policies.map((p) => (p.id === 2 ? { ...p, enabled: false } : p));
        return { body: policies[1] };
      },
      'DELETE /api/v1/traffic-shaping/policies/1': () => {
        policies = policies.filter((p) => p.id !== 1);
        return { status: 204 };
      },
    });
    const { result } = renderHook(() => useTrafficShaping());
    await waitFor(() => expect(result.current.loaded).toBe(true));
    expect(result.current.policies).toHaveLength(1);
    expect(result.current.total).toBe(1);

    await act(() => result.current.createPolicy({ ...policy(0), name: 'gold' } as never));
    await waitFor(() => expect(result.current.policies.map((p) => p.name)).toEqual(['p1', 'gold']));

    await act(() => result.current.disablePolicy(2));
    await waitFor(() => expect(result.current.policies[1].enabled).toBe(false));

    await act(() => result.current.deletePolicy(1));
    await waitFor(() => expect(result.current.policies.map((p) => p.id)).toEqual([2]));
    expect(calls.filter((c) => c.method === 'GET').length).toBeGreaterThanOrEqual(4);
  });

  it('surfaces a LicenseError', async () => {
    signIn();
    mockApi({ 'GET /api/v1/traffic-shaping/policies': () => LICENSE_403 });
    const { result } = renderHook(() => useTrafficShaping());
    await waitFor(() => expect(result.current.error).toBeInstanceOf(LicenseError));
    expect((result.current.error as LicenseError).feature).toBe('traffic_shaping');
    expect(result.current.loaded).toBe(false);
  });

  it('polls policy statistics', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      signIn();
      let n = 0;
      mockApi({
        'GET /api/v1/traffic-shaping/policies/5/stats': () => {
          n += 1;
          return {
            body: {
              policy_id: 5,
              bytes_passed: n,
              bytes_delayed: 0,
              current_rate_mbps: n,
              delay_ms: {},
              sla_violations: 0,
              updated_at: null,
            },
          };
        },
      });
      const { result } = renderHook(() => usePolicyStats(5, 1000));
      await waitFor(() => expect(result.current.data?.current_rate_mbps).toBe(1));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1100);
      });
      await waitFor(() => expect(result.current.data?.current_rate_mbps).toBe(2));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('useMultiCloud', () => {
  it('lists route tables, runs a failover drill and reads health and cost', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/multi-cloud/routes': () => ({ body: [{ id: 3, name: 'rt', routes: [] }] }),
      'POST /api/v1/multi-cloud/routes/3/test-failover': (r) => ({
        body: {
          route_table_id: 3,
          dry_run: (r.body as { dry_run: boolean }).dry_run,
          removed_endpoint: 'https://a:443',
          failover_target: 'https://b:443',
          switch_time_ms: null,
          failed_requests: null,
          traffic_moved: null,
          restored: true,
          message: 'ok',
        },
      }),
      'GET /api/v1/multi-cloud/routes/3/health': () => ({
        body: [
          {
            endpoint: 'https://a:443',
            provider: 'aws',
            region: 'us-east-1',
            is_healthy: true,
            last_check: null,
            rtt_ms: 3.2,
            consecutive_failures: 0,
            consecutive_successes: 2,
            last_error: null,
          },
        ],
      }),
      'GET /api/v1/multi-cloud/analytics/cost': () => ({
        body: {
          start: '2026-11-20',
          end: '2026-11-26',
          total_cost: 0,
          total_egress_gb: 0,
          by_provider: [],
          by_service: [],
          by_region: [],
          daily: [],
        },
      }),
    });
    const { result } = renderHook(() => ({
      mc: useMultiCloud(),
      health: useRouteHealth(3),
      cost: useCostAnalytics(7),
    }));
    await waitFor(() => expect(result.current.mc.loaded).toBe(true));
    expect(result.current.mc.routeTables[0].name).toBe('rt');
    await waitFor(() => expect(result.current.health.data?.[0].rtt_ms).toBe(3.2));
    await waitFor(() => expect(result.current.cost.data?.start).toBe('2026-11-20'));
    expect(calls.find((c) => c.url === '/api/v1/multi-cloud/analytics/cost')?.params).toEqual({ days: 7 });
    const r = await result.current.mc.testFailover(3, { dry_run: true });
    expect(r.dry_run).toBe(true);
    expect(r.failover_target).toBe('https://b:443');
  });
});

describe('useObservability', () => {
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
    const { result } = renderHook(() => ({ obs: useObservability(), search: useSpanSearch() }));
    await waitFor(() => expect(result.current.obs.configs).toHaveLength(1));
    const t = await result.current.obs.testConnection(9);
    expect(t.error).toBe('connection refused');
    await act(() => result.current.search.search({ service: 'api', has_error: true, limit: 20 }));
    expect(result.current.search.result?.total).toBe(0);
    expect(calls.at(-1)?.params).toEqual({ service: 'api', has_error: true, limit: 20 });
  });
});

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

describe('useResource polling', () => {
  it('stops polling after a client error such as 404, until reload()', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      signIn();
      let n = 0;
      mockApi({
        'GET /api/v1/traffic-shaping/policies/8/stats': () => {
          n += 1;
          return { status: 404, body: { detail: 'QoS policy 8 not found' } };
        },
      });
      const { result } = renderHook(() => usePolicyStats(8, 1000));
      await waitFor(() => expect(result.current.error?.message).toBe('QoS policy 8 not found'));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3500);
      });
      expect(n).toBe(1);
      act(() => result.current.reload());
      await waitFor(() => expect(n).toBe(2));
    } finally {
      vi.useRealTimers();
    }
  });
});
