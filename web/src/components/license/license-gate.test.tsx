import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { LicenseProvider } from '@/lib/license';
import { licenseStatus, mockApi, signIn } from '@/testing/mock-api';
import { renderWithClient } from '@/testing/query';
import { LicenseGate } from './license-gate';

function Feature({ onRender }: { onRender: () => void }) {
  onRender();
  return <p>secret feature</p>;
}

function renderGate(features: string[] | 'error' | 'pending') {
  signIn();
  let release: (() => void) | undefined;
  mockApi({
    'GET /api/v1/license/status': () => {
      if (features === 'error') return { status: 500, body: { detail: 'boom' } };
      if (features === 'pending') return new Promise((r) => (release = () => r({ body: licenseStatus([]) })));
      return { body: licenseStatus(features) };
    },
  });
  const onRender = vi.fn();
  renderWithClient(
    <LicenseProvider>
      <LicenseGate feature="traffic_shaping">
        <Feature onRender={onRender} />
      </LicenseGate>
    </LicenseProvider>,
  );
  return { onRender, pending: () => release !== undefined, release: () => release?.() };
}

describe('LicenseGate', () => {
  it('shows the upgrade prompt for a Community license and never renders the feature', async () => {
    const { onRender } = renderGate([]);
    expect(screen.getByRole('status')).toHaveTextContent(/checking license/i);
    expect(await screen.findByRole('heading', { name: 'Traffic Shaping & QoS' })).toBeInTheDocument();
    expect(screen.getByText(/per-service bandwidth limits/i)).toBeInTheDocument();
    expect(screen.getAllByRole('listitem').length).toBeGreaterThanOrEqual(3);
    expect(screen.getByRole('button', { name: 'Upgrade to Enterprise' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /pricing/i })).toHaveAttribute(
      'href',
      'https://www.penguintech.io/marchproxy/pricing',
    );
    expect(screen.queryByText('secret feature')).toBeNull();
    expect(onRender).not.toHaveBeenCalled();
  });

  it('does not render the feature while the license is still loading', async () => {
    const { onRender, release, pending } = renderGate('pending');
    await waitFor(() => expect(pending()).toBe(true));
    expect(screen.getByText(/checking license/i)).toBeInTheDocument();
    expect(onRender).not.toHaveBeenCalled();
    release();
    expect(await screen.findByText('Upgrade to Enterprise')).toBeInTheDocument();
    expect(onRender).not.toHaveBeenCalled();
  });

  it('renders the feature when the license includes it', async () => {
    const { onRender } = renderGate(['traffic_shaping', 'multi_cloud_routing']);
    expect(await screen.findByText('secret feature')).toBeInTheDocument();
    expect(screen.queryByText('Upgrade to Enterprise')).toBeNull();
    expect(onRender).toHaveBeenCalled();
  });

  it('shows an error, not the feature, when the status cannot be read', async () => {
    const { onRender } = renderGate('error');
    expect(await screen.findByRole('alert')).toHaveTextContent(/could not check the license/i);
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
    expect(onRender).not.toHaveBeenCalled();
  });

  it('opens the pricing page from the upgrade button', async () => {
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    renderGate([]);
    (await screen.findByRole('button', { name: 'Upgrade to Enterprise' })).click();
    expect(open).toHaveBeenCalledWith('https://www.penguintech.io/marchproxy/pricing', '_blank', 'noopener,noreferrer');
  });
});
