import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import { FailoverDrill } from './failover-drill';
import type { RouteTable } from '../types';

const table = { id: 3, routes: [{ endpoint: 'https://a:443', provider: 'aws', region: 'us-east-1' }] } as RouteTable;

const record = {
  id: 9,
  route_table_id: 3,
  endpoint: 'https://a:443',
  duration_seconds: 1,
  status: 'running',
  started_at: '2026-12-07T10:00:00Z',
  ends_at: '2026-12-07T10:00:01Z',
  finished_at: null,
  result: null,
  error: null,
};

const finished = {
  ...record,
  status: 'finished',
  finished_at: '2026-12-07T10:00:04Z',
  result: {
    route_table_id: 3,
    drill_id: 9,
    dry_run: false,
    removed_endpoint: 'https://a:443',
    failover_target: 'https://b:443',
    switch_time_ms: 12,
    failed_requests: 0,
    traffic_moved: true,
    restored: true,
    message: 'traffic moved from https://a:443 to https://b:443 in 12 ms; 0 request(s) failed',
  },
};

describe('FailoverDrill', () => {
  it('starts a live drill, shows it running, then shows its result', async () => {
    signIn();
    let reads = 0;
    const { calls } = mockApi({
      'POST /api/v1/multi-cloud/routes/3/test-failover': () => ({ status: 202, body: record }),
      'GET /api/v1/multi-cloud/routes/3/drills/9': () => {
        reads += 1;
        return { body: reads < 2 ? record : finished };
      },
      // The table's history: this drill once it has ended, and an older one that failed.
      'GET /api/v1/multi-cloud/routes/3/drills': () => ({
        body: reads < 2 ? [] : [finished, { ...record, id: 4, status: 'failed', error: 'the proxy went away' }],
      }),
    });
    const user = userEvent.setup();
    renderWithClient(<FailoverDrill table={table} />);
    await user.click(screen.getByLabelText(/Dry run/));
    await user.clear(screen.getByLabelText('Duration (s)'));
    await user.type(screen.getByLabelText('Duration (s)'), '1');
    await user.click(screen.getByRole('button', { name: 'Run failover drill' }));
    expect(await screen.findByTestId('failover-progress')).toHaveTextContent(
      /https:\/\/a:443 is out of rotation until/,
    );
    expect(screen.getByRole('button', { name: 'Running drill…' })).toBeDisabled();
    const result = await screen.findByTestId('failover-result', {}, { timeout: 5000 });
    expect(result).toHaveTextContent('traffic moved from https://a:443 to https://b:443');
    expect(result).toHaveTextContent(/Restored\s*yes/);
    expect(screen.queryByTestId('failover-progress')).toBeNull();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ dry_run: false, duration_seconds: 1, wait: false });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Run failover drill' })).toBeEnabled());
    // The history is read again once the drill has ended, newest first.
    await waitFor(() => expect(screen.getAllByTestId('recent-drill')).toHaveLength(2));
    const rows = screen.getAllByTestId('recent-drill');
    expect(rows[0]).toHaveTextContent(/https:\/\/a:443\s*1 s\s*finished\s*traffic moved from/);
    expect(rows[1]).toHaveTextContent(/failed\s*the proxy went away/);
    expect(
      calls.filter((c) => c.url === '/api/v1/multi-cloud/routes/3/drills').every((c) => c.params?.limit === 5),
    ).toBe(true);
  });

  it('says why a drill failed', async () => {
    signIn();
    mockApi({
      'POST /api/v1/multi-cloud/routes/3/test-failover': () => ({ status: 202, body: record }),
      'GET /api/v1/multi-cloud/routes/3/drills/9': () => ({
        body: { ...record, status: 'failed', error: 'a database error stopped the drill' },
      }),
    });
    const user = userEvent.setup();
    renderWithClient(<FailoverDrill table={table} />);
    await user.click(screen.getByLabelText(/Dry run/));
    await user.click(screen.getByRole('button', { name: 'Run failover drill' }));
    await waitFor(() =>
      expect(screen.getByTestId('failover-progress')).toHaveTextContent(
        'The drill failed: a database error stopped the drill. https://a:443 returned to rotation.',
      ),
    );
    expect(screen.queryByTestId('failover-result')).toBeNull();
  });
});
