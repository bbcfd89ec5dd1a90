import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import LatencyPanel, { bucketRows } from './latency-panel';

describe('bucketRows', () => {
  it('labels bounded buckets and the overflow bucket', () => {
    expect(
      bucketRows([
        { le_ms: 1, count: 1 },
        { le_ms: 2500, count: 2 },
        { le_ms: 30000, count: 0 },
        { le_ms: null, count: 4 },
      ]),
    ).toEqual([
      { label: '≤ 1 ms', count: 1 },
      { label: '≤ 2.50 s', count: 2 },
      { label: '≤ 30 s', count: 0 },
      { label: '> 30 s', count: 4 },
    ]);
  });
});

describe('LatencyPanel', () => {
  it('shows percentiles, and an empty state for a service without spans', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/observability/latency': (r) =>
        r.params?.service === 'ghost'
          ? {
              body: {
                count: 0,
                p50_ms: null,
                p90_ms: null,
                p99_ms: null,
                buckets: [
                  { le_ms: 1, count: 0 },
                  { le_ms: null, count: 0 },
                ],
              },
            }
          : {
              body: {
                count: 10,
                p50_ms: 3.5,
                p90_ms: 40,
                p99_ms: 120.25,
                buckets: [
                  { le_ms: 5, count: 6 },
                  { le_ms: 50, count: 3 },
                  { le_ms: null, count: 1 },
                ],
              },
            },
    });
    const user = userEvent.setup();
    renderWithClient(<LatencyPanel />);
    const figures = await screen.findByTestId('latency-figures');
    expect(within(figures).getByText('3.50 ms')).toBeInTheDocument();
    expect(within(figures).getByText('40 ms')).toBeInTheDocument();
    expect(within(figures).getByText('120.25 ms')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Latency histogram of 10 spans' })).toBeInTheDocument();
    expect(calls.at(-1)?.params).toEqual({ hours: 1 });

    await user.selectOptions(screen.getByLabelText('Window'), '24');
    await user.type(screen.getByLabelText('Service'), 'ghost');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByText('No spans in this window')).toBeInTheDocument();
    expect(screen.getByText(/No spans of “ghost” were recorded in the last 24 hours/)).toBeInTheDocument();
    expect(calls.at(-1)?.params).toEqual({ hours: 24, service: 'ghost' });
  });
});
