import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import { useCostAnalytics } from './cost-analytics';
import { isDrill, useFailoverDrill, useRouteHealth, useRouteTables, useTestFailover } from './route-tables';

describe('route table hooks', () => {
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
          providers: [],
          by_provider: {},
          by_service: [],
          regions: [],
          by_region: {},
          daily: [],
        },
      }),
    });
    const { result } = renderHook(
      () => ({
        tables: useRouteTables(),
        failover: useTestFailover(),
        health: useRouteHealth(3),
        cost: useCostAnalytics(7),
      }),
      { wrapper: withQueryClient() },
    );
    await waitFor(() => expect(result.current.tables.data).toBeDefined());
    expect(result.current.tables.data?.items[0].name).toBe('rt');
    await waitFor(() => expect(result.current.health.data?.[0].rtt_ms).toBe(3.2));
    await waitFor(() => expect(result.current.cost.data?.start).toBe('2026-11-20'));
    expect(calls.find((c) => c.url === '/api/v1/multi-cloud/analytics/cost')?.params).toEqual({ days: 7 });
    const r = await result.current.failover.mutateAsync({ id: 3, request: { dry_run: true } });
    if (isDrill(r)) throw new Error('a dry run answers with its result');
    expect(r.dry_run).toBe(true);
    expect(r.failover_target).toBe('https://b:443');
  });

  it('starts a live drill without waiting and follows its record until it ends', async () => {
    signIn();
    const record = {
      id: 9,
      route_table_id: 3,
      endpoint: 'https://a:443',
      duration_seconds: 2,
      status: 'running',
      started_at: '2026-12-07T10:00:00Z',
      ends_at: '2026-12-07T10:00:02Z',
      finished_at: null,
      result: null,
      error: null,
    };
    let reads = 0;
    const { calls } = mockApi({
      'POST /api/v1/multi-cloud/routes/3/test-failover': () => ({ status: 202, body: record }),
      'GET /api/v1/multi-cloud/routes/3/drills/9': () => {
        reads += 1;
        return reads < 2
          ? { body: record }
          : {
              body: {
                ...record,
                status: 'finished',
                finished_at: '2026-12-07T10:00:05Z',
                result: { route_table_id: 3, drill_id: 9, dry_run: false, traffic_moved: true, restored: true },
              },
            };
      },
    });
    const { result: start } = renderHook(() => useTestFailover(), { wrapper: withQueryClient() });
    const r = await start.current.mutateAsync({ id: 3, request: { dry_run: false, duration_seconds: 2 } });
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ dry_run: false, duration_seconds: 2, wait: false });
    expect(isDrill(r) && r.status).toBe('running');
    const { result } = renderHook(() => useFailoverDrill(3, 9, 10), { wrapper: withQueryClient() });
    await waitFor(() => expect(result.current.data?.status).toBe('finished'));
    expect(result.current.data?.result?.traffic_moved).toBe(true);
    expect(reads).toBe(2);
  });
});
