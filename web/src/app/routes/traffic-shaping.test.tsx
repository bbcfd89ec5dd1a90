import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '@/lib/auth';
import { LicenseProvider } from '@/lib/license';
import { licenseStatus, LICENSE_403, mockApi, signIn } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import TrafficShapingRoute from './traffic-shaping';

const policy = {
  id: 4,
  name: 'gold',
  description: null,
  service_id: 1,
  cluster_id: 1,
  bandwidth: { ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024, scope: 'cluster' },
  priority_config: { priority: 'P1', weight: 50, max_latency_ms: 20, dscp_marking: 'AF41' },
  enabled: true,
  created_at: '',
  updated_at: '',
};

function wrap(children: ReactNode) {
  const QueryWrapper = withQueryClient();
  return (
    <QueryWrapper>
      <AuthProvider>
        <LicenseProvider>{children}</LicenseProvider>
      </AuthProvider>
    </QueryWrapper>
  );
}

const common = {
  'GET /api/v1/auth/me': () => ({ body: { id: 1, username: 'admin', role: 'admin', created_at: '' } }),
  'GET /api/v1/license/status': () => ({ body: licenseStatus(['traffic_shaping']) }),
  'GET /api/v1/services': () => ({
    body: [
      {
        id: 1,
        name: 'api',
        cluster_id: 1,
        hostnames: [],
        path_prefix: '/',
        protocol: 'http',
        listen_port: null,
        enabled: true,
      },
    ],
  }),
};

describe('Traffic Shaping page', () => {
  it('lists policies and shows live statistics per class and the shares by proxy', async () => {
    signIn();
    mockApi({
      ...common,
      'GET /api/v1/traffic-shaping/policies': () => ({ body: [policy], headers: { 'x-total-count': '1' } }),
      'GET /api/v1/traffic-shaping/policies/4/stats': () => ({
        body: {
          policy_id: 4,
          bytes_passed: 2048,
          bytes_delayed: 0,
          current_rate_mbps: 12.5,
          delay_ms: {
            P0: { p50: 0, p99: 0 },
            P1: { p50: 1.25, p99: 7.5 },
            P2: { p50: 0, p99: 0 },
            P3: { p50: 0, p99: 0 },
          },
          sla_violations: 3,
          proxies_reporting: 2,
          cluster_shares: [
            { proxy_id: 11, direction: 'ingress', rate_mbps: 62.5 },
            { proxy_id: 12, direction: 'ingress', rate_mbps: 37.4999 },
          ],
          updated_at: '2026-11-26T10:00:00Z',
        },
      }),
    });
    const user = userEvent.setup();
    render(wrap(<TrafficShapingRoute />));
    const table = await screen.findByRole('table', { name: 'QoS policies' });
    const row = within(table).getByRole('row', { name: /gold/ });
    expect(row).toHaveTextContent('100 Mbps');
    expect(row).toHaveTextContent('unlimited');
    expect(row).toHaveTextContent('cluster-wide');
    expect(within(row).getByText('api')).toBeInTheDocument();
    await user.click(within(row).getByRole('button', { name: 'Stats of gold' }));
    const stats = await screen.findByTestId('qos-stats');
    expect(await within(stats).findByText('12.50 Mbps')).toBeInTheDocument();
    expect(within(stats).getByText('3')).toBeInTheDocument();
    expect(within(stats).getByRole('row', { name: /P1 1.25 7.50/ })).toBeInTheDocument();
    expect(within(stats).getByText('Proxies reporting').nextElementSibling).toHaveTextContent('2');
    expect(within(stats).getByText('Limit scope').nextElementSibling).toHaveTextContent('cluster-wide');
    const shares = within(stats).getByRole('table', { name: 'Shares by proxy' });
    expect(within(shares).getByRole('row', { name: '11 ingress 62.50' })).toBeInTheDocument();
    expect(within(shares).getByRole('row', { name: '12 ingress 37.50' })).toBeInTheDocument();
  });

  it('says so when no proxy has reported statistics yet (a per-proxy policy: no shares)', async () => {
    signIn();
    const zero = { p50: 0, p99: 0 };
    const perProxy = { ...policy, bandwidth: { ...policy.bandwidth, scope: 'proxy' } };
    mockApi({
      ...common,
      'GET /api/v1/traffic-shaping/policies': () => ({ body: [perProxy], headers: { 'x-total-count': '1' } }),
      'GET /api/v1/traffic-shaping/policies/4/stats': () => ({
        body: {
          policy_id: 4,
          bytes_passed: 0,
          bytes_delayed: 0,
          current_rate_mbps: 0,
          delay_ms: { P0: zero, P1: zero, P2: zero, P3: zero },
          sla_violations: 0,
          proxies_reporting: 0,
          cluster_shares: [],
          updated_at: null,
        },
      }),
    });
    const user = userEvent.setup();
    render(wrap(<TrafficShapingRoute />));
    const table = await screen.findByRole('table', { name: 'QoS policies' });
    expect(within(table).getByRole('row', { name: /gold/ })).toHaveTextContent('per proxy');
    await user.click(within(table).getByRole('button', { name: 'Stats of gold' }));
    const stats = await screen.findByTestId('qos-stats');
    expect(await within(stats).findByText('No proxy has reported statistics for this policy yet.')).toBeInTheDocument();
    expect(within(stats).getByText('Limit scope').nextElementSibling).toHaveTextContent('per proxy');
    expect(within(stats).queryByRole('table')).toBeNull();
  });

  it('shows an empty state when there are no policies', async () => {
    signIn();
    mockApi({ ...common, 'GET /api/v1/traffic-shaping/policies': () => ({ body: [] }) });
    render(wrap(<TrafficShapingRoute />));
    expect(await screen.findByText('No QoS policies')).toBeInTheDocument();
  });

  it('falls back to the upgrade prompt if the API refuses the feature', async () => {
    signIn();
    mockApi({ ...common, 'GET /api/v1/traffic-shaping/policies': () => LICENSE_403 });
    render(wrap(<TrafficShapingRoute />));
    expect(await screen.findByRole('button', { name: 'Upgrade to Enterprise' })).toBeInTheDocument();
    expect(screen.getByText('Traffic shaping requires an Enterprise license')).toBeInTheDocument();
  });

  it('shows an error state with retry on a server error', async () => {
    signIn();
    mockApi({
      ...common,
      'GET /api/v1/traffic-shaping/policies': () => ({ status: 500, body: { detail: 'database is locked' } }),
    });
    render(wrap(<TrafficShapingRoute />));
    expect(await screen.findByText('database is locked')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});
