import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Cluster } from '@/lib/api-types';
import TracingConfigForm from './tracing-config-form';
import { EMPTY_TRACING } from '../utils/tracing-form';

const clusters: Cluster[] = [{ id: 1, name: 'prod', description: null, created_at: '', updated_at: '' }];

describe('TracingConfigForm', () => {
  it('validates backend/exporter combinations and submits a valid config', async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(
      <TracingConfigForm
        initial={EMPTY_TRACING}
        clusters={clusters}
        title="New tracing config"
        submitLabel="Create"
        onSubmit={onSubmit}
        onCancel={() => undefined}
      />,
    );
    await user.type(screen.getByLabelText('Name'), 'otel');
    await user.selectOptions(screen.getByLabelText('Cluster'), 'prod');
    await user.selectOptions(screen.getByLabelText('Backend'), 'zipkin');
    await user.selectOptions(screen.getByLabelText('Exporter'), 'grpc');
    await user.type(screen.getByLabelText('Collector endpoint'), 'http://127.0.0.1:9411/api/v2/spans');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Exporter')).toHaveAccessibleDescription(/zipkin accepts only/);

    await user.selectOptions(screen.getByLabelText('Exporter'), 'http');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(onSubmit.mock.calls[0][0]).toMatchObject({
      backend: 'zipkin',
      exporter: 'http',
      cluster_id: 1,
      sampling_strategy: 'probabilistic',
    });
  });
});
