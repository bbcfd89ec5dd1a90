import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { LicenseError } from '@/lib/errors';
import { LICENSE_403, mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { usePolicyStats, useQosPolicies, useQosPolicyMutations } from './qos-policies';

const policy = (id: number, enabled = true) => ({
  id,
  name: `p${id}`,
  description: null,
  service_id: 1,
  cluster_id: 1,
  bandwidth: { ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024, scope: 'cluster' },
  priority_config: { priority: 'P1', weight: 50, max_latency_ms: null, dscp_marking: 'AF41' },
  enabled,
  created_at: '',
  updated_at: '',
});

describe('useQosPolicies and useQosPolicyMutations', () => {
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
    const { result } = renderHook(() => ({ list: useQosPolicies(), m: useQosPolicyMutations() }), {
      wrapper: withQueryClient(),
    });
    const listed = () => result.current.list.data?.items ?? [];
    await waitFor(() => expect(result.current.list.data).toBeDefined());
    expect(listed()).toHaveLength(1);
    expect(result.current.list.data?.total).toBe(1);

    await act(() => result.current.m.create({ ...policy(0), name: 'gold' } as never));
    await waitFor(() => expect(listed().map((p) => p.name)).toEqual(['p1', 'gold']));

    await act(() => result.current.m.disable(2));
    await waitFor(() => expect(listed()[1].enabled).toBe(false));

    await act(() => result.current.m.remove(1));
    await waitFor(() => expect(listed().map((p) => p.id)).toEqual([2]));
    expect(calls.filter((c) => c.method === 'GET').length).toBeGreaterThanOrEqual(4);
  });

  it('surfaces a LicenseError', async () => {
    signIn();
    mockApi({ 'GET /api/v1/traffic-shaping/policies': () => LICENSE_403 });
    const { result } = renderHook(() => useQosPolicies(), { wrapper: withQueryClient() });
    await waitFor(() => expect(result.current.error).toBeInstanceOf(LicenseError));
    expect((result.current.error as LicenseError).feature).toBe('traffic_shaping');
    expect(result.current.data).toBeUndefined();
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
      const { result } = renderHook(() => usePolicyStats(5, 1000), { wrapper: withQueryClient() });
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

describe('polling (lib/query-client pollEvery)', () => {
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
      const { result } = renderHook(() => usePolicyStats(8, 1000), { wrapper: withQueryClient() });
      await waitFor(() => expect(result.current.error?.message).toBe('QoS policy 8 not found'));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3500);
      });
      expect(n).toBe(1);
      act(() => {
        void result.current.refetch();
      });
      await waitFor(() => expect(n).toBe(2));
    } finally {
      vi.useRealTimers();
    }
  });
});
