import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import CostAnalytics from './cost-analytics';

const data = {
  start: '2026-11-20',
  end: '2026-11-26',
  total_cost: 12.345,
  total_egress_gb: 137.5,
  providers: [
    { provider: 'aws', egress_bytes: 100e9, cost: 9, requests: 1000 },
    { provider: 'gcp', egress_bytes: 37.5e9, cost: 3.345, requests: 400 },
  ],
  // The original client's fields (the console reads the detailed ones above).
  by_provider: { aws: 9, gcp: 3.345 },
  by_region: { 'us-east-1': 9 },
  by_service: [{ service_id: 1, service_name: 'api', egress_bytes: 137.5e9, cost: 12.345, requests: 1400 }],
  regions: [{ provider: 'aws', region: 'us-east-1', egress_bytes: 100e9, cost: 9, requests: 1000 }],
  daily: [{ date: '2026-11-26', cost: 12.345, egress_bytes: 137.5e9, requests: 1400 }],
};

describe('CostAnalytics', () => {
  it('shows totals, the three charts and the region table from the API, and changes period', async () => {
    signIn();
    const { calls } = mockApi({ 'GET /api/v1/multi-cloud/analytics/cost': () => ({ body: data }) });
    const user = userEvent.setup();
    renderWithClient(<CostAnalytics />);
    expect(await screen.findByText('$12.35')).toBeInTheDocument();
    expect(screen.getByText('137.500 GB')).toBeInTheDocument();
    for (const c of ['Cost by provider', 'Cost by service', 'Daily trend'])
      expect(screen.getByText(c)).toBeInTheDocument();
    expect(screen.getByRole('row', { name: /aws us-east-1/ })).toHaveTextContent('$9.00');
    await user.selectOptions(screen.getByLabelText('Period'), '30');
    expect(calls.at(-1)?.params).toEqual({ days: 30 });
  });

  it('shows an empty state, not zero-filled charts, when nothing was recorded', async () => {
    signIn();
    mockApi({
      'GET /api/v1/multi-cloud/analytics/cost': () => ({
        body: {
          ...data,
          total_cost: 0,
          total_egress_gb: 0,
          providers: [],
          by_provider: {},
          by_service: [],
          regions: [],
          by_region: {},
          daily: [{ date: '2026-11-26', cost: 0, egress_bytes: 0, requests: 0 }],
        },
      }),
    });
    renderWithClient(<CostAnalytics />);
    expect(await screen.findByText('No egress recorded')).toBeInTheDocument();
    expect(screen.queryByText('Cost by provider')).toBeNull();
  });
});
