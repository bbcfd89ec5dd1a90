import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ValidationError } from '@/lib/errors';
import type { Service } from '@/lib/api-types';
import RouteTableForm from './route-table-form';
import { EMPTY_ROUTE_TABLE } from '../utils/route-table-form';

const services: Service[] = [
  {
    id: 2,
    name: 'web',
    description: null,
    cluster_id: 1,
    hostnames: [],
    path_prefix: '/',
    protocol: 'http',
    listen_port: null,
    enabled: true,
    created_at: '',
    updated_at: '',
  },
];

describe('RouteTableForm', () => {
  it('builds a table with two endpoints and maps server errors per endpoint', async () => {
    const onSubmit = vi
      .fn()
      .mockRejectedValueOnce(
        new ValidationError([{ loc: ['body', 'routes', 1, 'endpoint'], msg: 'unreachable host', type: 'value_error' }]),
      )
      .mockResolvedValueOnce(undefined);
    const user = userEvent.setup();
    render(
      <RouteTableForm
        initial={EMPTY_ROUTE_TABLE}
        services={services}
        title="New route table"
        submitLabel="Create route table"
        onSubmit={onSubmit}
        onCancel={() => undefined}
      />,
    );
    await user.type(screen.getByLabelText('Name'), 'edge');
    await user.selectOptions(screen.getByLabelText('Service'), 'web');
    await user.type(screen.getByLabelText('Region (endpoint 1)'), 'us-east-1');
    await user.type(screen.getByLabelText('URL (endpoint 1)'), 'https://a.example.com:443');
    await user.click(screen.getByRole('button', { name: 'Create route table' }));
    // endpoint 2 is still empty: client-side errors, nothing sent
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText('URL (endpoint 2)')).toHaveAccessibleDescription('must not be empty');

    await user.type(screen.getByLabelText('Region (endpoint 2)'), 'europe-west1');
    await user.type(screen.getByLabelText('URL (endpoint 2)'), 'https://b.example.com:443');
    await user.click(screen.getByRole('button', { name: 'Create route table' }));
    await waitFor(() =>
      expect(screen.getByLabelText('URL (endpoint 2)')).toHaveAccessibleDescription('unreachable host'),
    );
    expect(onSubmit.mock.calls[0][0].routes).toHaveLength(2);
    expect(onSubmit.mock.calls[0][0].routes[1]).toMatchObject({ provider: 'gcp', region: 'europe-west1' });

    await user.click(screen.getByRole('button', { name: 'Create route table' }));
    expect(onSubmit).toHaveBeenCalledTimes(2);
  });

  it('adds and removes endpoints', async () => {
    const user = userEvent.setup();
    render(
      <RouteTableForm
        initial={EMPTY_ROUTE_TABLE}
        services={services}
        title="t"
        submitLabel="s"
        onSubmit={vi.fn()}
        onCancel={() => undefined}
      />,
    );
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    expect(screen.getByLabelText('URL (endpoint 3)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove endpoint 1' }));
    expect(screen.queryByLabelText('URL (endpoint 3)')).toBeNull();
  });

  it('sends the upstream protocol chosen per endpoint, null by scheme', async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(
      <RouteTableForm
        initial={EMPTY_ROUTE_TABLE}
        services={services}
        title="t"
        submitLabel="Save"
        onSubmit={onSubmit}
        onCancel={() => undefined}
      />,
    );
    await user.type(screen.getByLabelText('Name'), 'edge');
    await user.selectOptions(screen.getByLabelText('Service'), 'web');
    await user.type(screen.getByLabelText('Region (endpoint 1)'), 'us-east-1');
    await user.type(screen.getByLabelText('URL (endpoint 1)'), 'https://a.example.com:443');
    await user.type(screen.getByLabelText('Region (endpoint 2)'), 'europe-west1');
    await user.type(screen.getByLabelText('URL (endpoint 2)'), 'b.example.com:5432');
    const proto1 = screen.getByLabelText('Protocol (endpoint 1)');
    const proto2 = screen.getByLabelText('Protocol (endpoint 2)');
    expect(proto1).toHaveDisplayValue('By scheme (https: ALPN)');

    // a TCP endpoint takes no protocol: refused client-side, shown on its row
    await user.selectOptions(proto2, 'HTTP/1.1');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(proto2).toHaveAccessibleDescription('applies to http(s) and grpc(s) endpoints, not to TCP ones');

    await user.selectOptions(proto2, 'By scheme (https: ALPN)');
    await user.selectOptions(proto1, 'HTTP/2');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0][0].routes.map((r: { upstream_protocol: unknown }) => r.upstream_protocol)).toEqual([
      'http2',
      null,
    ]);
  });

  it('asks for a gRPC service only for grpc probes and sends it', async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(
      <RouteTableForm
        initial={EMPTY_ROUTE_TABLE}
        services={services}
        title="t"
        submitLabel="Save"
        onSubmit={onSubmit}
        onCancel={() => undefined}
      />,
    );
    await user.type(screen.getByLabelText('Name'), 'edge');
    await user.selectOptions(screen.getByLabelText('Service'), 'web');
    await user.type(screen.getByLabelText('Region (endpoint 1)'), 'us-east-1');
    await user.type(screen.getByLabelText('URL (endpoint 1)'), 'grpc://a.example.com:50051');
    await user.type(screen.getByLabelText('Region (endpoint 2)'), 'europe-west1');
    await user.type(screen.getByLabelText('URL (endpoint 2)'), 'grpcs://b.example.com:443');
    expect(screen.queryByLabelText('gRPC service')).toBeNull();

    await user.selectOptions(screen.getByLabelText('Protocol'), 'grpc');
    const svc = screen.getByLabelText('gRPC service');
    expect(svc).toHaveAccessibleDescription(/grpc\.health\.v1 Health\/Check; empty checks the whole server/);
    expect(screen.queryByLabelText('Path')).toBeNull();

    await user.type(svc, 'my service');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(svc).toHaveAccessibleDescription(/must be a gRPC service name/);

    await user.clear(svc);
    await user.type(svc, 'shop.v1.Cart');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0][0].health_probe).toMatchObject({
      protocol: 'grpc',
      grpc_service: 'shop.v1.Cart',
      path: null,
    });
    expect(onSubmit.mock.calls[0][0].routes.map((r: { endpoint: string }) => r.endpoint)).toEqual([
      'grpc://a.example.com:50051',
      'grpcs://b.example.com:443',
    ]);

    await user.selectOptions(screen.getByLabelText('Protocol'), 'http');
    expect(screen.queryByLabelText('gRPC service')).toBeNull();
    expect(screen.getByLabelText('Path')).toBeInTheDocument();
  });
});
