import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ValidationError } from '@/lib/errors';
import type { Service } from '@/lib/api-types';
import QosPolicyForm from './qos-policy-form';
import { EMPTY_QOS } from '../utils/qos-form';

const services: Service[] = [
  {
    id: 7,
    name: 'api',
    description: null,
    cluster_id: 3,
    hostnames: [],
    path_prefix: '/',
    protocol: 'http',
    listen_port: null,
    enabled: true,
    created_at: '',
    updated_at: '',
  },
];

function setup(onSubmit = vi.fn().mockResolvedValue(undefined)) {
  render(
    <QosPolicyForm
      initial={EMPTY_QOS}
      services={services}
      title="New QoS policy"
      submitLabel="Create policy"
      onSubmit={onSubmit}
      onCancel={() => undefined}
    />,
  );
  return { onSubmit, user: userEvent.setup() };
}

describe('QosPolicyForm', () => {
  it('shows client-side errors next to the fields and does not submit', async () => {
    const { onSubmit, user } = setup();
    await user.type(screen.getByLabelText('Ingress limit (Mbps)'), '0');
    await user.clear(screen.getByLabelText('Weight'));
    await user.type(screen.getByLabelText('Weight'), '101');
    await user.click(screen.getByRole('button', { name: 'Create policy' }));
    expect(onSubmit).not.toHaveBeenCalled();
    const name = screen.getByLabelText('Name');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('must not be empty');
    expect(screen.getByLabelText('Ingress limit (Mbps)')).toHaveAccessibleDescription(/must be between 1 and 100000/);
    expect(screen.getByLabelText('Weight')).toHaveAccessibleDescription(/^must be between 1 and 100 /);
    expect(screen.getByLabelText('Service')).toHaveAccessibleDescription('choose a service');
  });

  it('submits a valid policy with the service cluster', async () => {
    const { onSubmit, user } = setup();
    await user.type(screen.getByLabelText('Name'), 'gold');
    await user.selectOptions(screen.getByLabelText('Service'), 'api');
    await user.type(screen.getByLabelText('Egress limit (Mbps)'), '250');
    await user.selectOptions(screen.getByLabelText('Priority class'), 'P0');
    await user.selectOptions(screen.getByLabelText('DSCP marking'), 'EF');
    await user.click(screen.getByRole('button', { name: 'Create policy' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(onSubmit.mock.calls[0][0]).toMatchObject({
      name: 'gold',
      service_id: 7,
      cluster_id: 3,
      bandwidth: { ingress_mbps: null, egress_mbps: 250, burst_size_kb: 1024, scope: 'cluster' },
      priority_config: { priority: 'P0', dscp_marking: 'EF', weight: 50 },
      enabled: true,
    });
  });

  it('offers the limit scope, cluster by default, and submits the choice', async () => {
    const { onSubmit, user } = setup();
    const scope = screen.getByLabelText('Limit scope');
    expect(scope).toHaveValue('cluster');
    expect(scope).toHaveDisplayValue('Cluster — shared by all proxies');
    expect(scope).toHaveAccessibleDescription(/across all proxies of the cluster/);
    await user.type(screen.getByLabelText('Name'), 'gold');
    await user.selectOptions(screen.getByLabelText('Service'), 'api');
    await user.type(screen.getByLabelText('Ingress limit (Mbps)'), '100');
    await user.selectOptions(scope, 'Per proxy — each proxy enforces the full limit');
    expect(scope).toHaveValue('proxy');
    expect(scope).toHaveAccessibleDescription(/N proxies pass up to N × the limits/);
    await user.click(screen.getByRole('button', { name: 'Create policy' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(onSubmit.mock.calls[0][0].bandwidth).toEqual({
      ingress_mbps: 100,
      egress_mbps: null,
      burst_size_kb: 1024,
      scope: 'proxy',
    });
  });

  it("shows the API's field errors next to the fields", async () => {
    const onSubmit = vi.fn().mockRejectedValue(
      new ValidationError([
        { loc: ['body', 'bandwidth', 'burst_size_kb'], msg: 'server says too big', type: 'value_error' },
        { loc: ['body', 'name'], msg: 'a policy with this name already exists', type: 'value_error' },
        { loc: ['body', 'something_else'], msg: 'odd', type: 'value_error' },
      ]),
    );
    const { user } = setup(onSubmit);
    await user.type(screen.getByLabelText('Name'), 'gold');
    await user.selectOptions(screen.getByLabelText('Service'), 'api');
    await user.click(screen.getByRole('button', { name: 'Create policy' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Burst size (KB)')).toHaveAccessibleDescription(/server says too big/),
    );
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('a policy with this name already exists');
    expect(screen.getByText(/something_else: odd/)).toBeInTheDocument();
  });

  it('is keyboard operable', async () => {
    const { user } = setup();
    await user.tab();
    expect(screen.getByLabelText('Name')).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText('Service')).toHaveFocus();
  });
});
