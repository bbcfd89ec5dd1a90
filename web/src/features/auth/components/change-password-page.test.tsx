import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '@/lib/auth';
import { getSession } from '@/lib/session';
import { mockApi, signIn, TOKENS, type Handler } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import ChangePasswordPage from './change-password-page';

const PASSWORD = '/api/v1/auth/password';

function setup(password: Handler) {
  signIn();
  const { calls } = mockApi({
    'GET /api/v1/auth/me': () => ({ body: { id: 2, username: 'alice', role: 'viewer', created_at: '' } }),
    [`POST ${PASSWORD}`]: password,
  });
  const QueryWrapper = withQueryClient();
  const wrap = (children: ReactNode) => (
    <QueryWrapper>
      <AuthProvider>{children}</AuthProvider>
    </QueryWrapper>
  );
  render(wrap(<ChangePasswordPage />));
  return { calls: () => calls.filter((c) => c.url === PASSWORD), user: userEvent.setup() };
}

async function fill(user: ReturnType<typeof userEvent.setup>, current: string, next: string, confirm = next) {
  if (current) await user.type(screen.getByLabelText('Current password'), current);
  await user.type(screen.getByLabelText('New password'), next);
  await user.type(screen.getByLabelText('Confirm new password'), confirm);
  await user.click(screen.getByRole('button', { name: 'Change password' }));
}

describe('Change password page', () => {
  it('checks the fields before sending anything', async () => {
    const { calls, user } = setup(() => ({ body: TOKENS }));
    await fill(user, '', 'short', 'shorter');
    expect(screen.getByLabelText('Current password')).toHaveAccessibleDescription('must not be empty');
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(/must be at least 8 characters/);
    expect(screen.getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'does not match the new password',
    );
    await user.clear(screen.getByLabelText('New password'));
    await user.clear(screen.getByLabelText('Confirm new password'));
    await fill(user, 'old-secret', 'new-secret-1', 'new-secret-2');
    expect(screen.getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'does not match the new password',
    );
    expect(screen.getByLabelText('New password')).not.toHaveAttribute('aria-invalid');
    expect(calls()).toHaveLength(0);
  });

  it("puts the server's 422 on the field it names", async () => {
    let n = 0;
    const { calls, user } = setup(() => {
      n += 1;
      const field = n === 1 ? 'current_password' : 'new_password';
      const msg = n === 1 ? 'is not your current password' : 'must be at least 12 characters in release mode';
      return { status: 422, body: { detail: [{ loc: ['body', field], msg, type: 'value_error' }] } };
    });
    await fill(user, 'wrong-secret', 'new-secret-1');
    expect(await screen.findByText('is not your current password')).toBeInTheDocument();
    expect(screen.getByLabelText('Current password')).toHaveAccessibleDescription('is not your current password');
    expect(screen.getByLabelText('New password')).not.toHaveAttribute('aria-invalid');

    await user.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText('must be at least 12 characters in release mode')).toBeInTheDocument();
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(/must be at least 12 characters/);
    expect(screen.getByLabelText('Current password')).not.toHaveAttribute('aria-invalid');
    expect(calls().map((c) => c.body)).toEqual([
      { current_password: 'wrong-secret', new_password: 'new-secret-1' },
      { current_password: 'wrong-secret', new_password: 'new-secret-1' },
    ]);
    // Nothing changed: the session keeps its tokens.
    expect(getSession()).toMatchObject({ accessToken: 'acc-1', refreshToken: 'ref-1' });
  });

  it('stores the new tokens at once and confirms', async () => {
    const { calls, user } = setup(() => ({
      body: { ...TOKENS, access_token: 'acc-new', refresh_token: 'ref-new' },
    }));
    await fill(user, 'old-secret', 'new-secret-1');
    expect(await screen.findByRole('status')).toHaveTextContent('Your password was changed');
    expect(calls()[0]).toMatchObject({
      body: { current_password: 'old-secret', new_password: 'new-secret-1' },
      headers: { authorization: 'Bearer acc-1' },
    });
    expect(getSession()).toMatchObject({ accessToken: 'acc-new', refreshToken: 'ref-new' });
    expect(screen.getByLabelText('Current password')).toHaveValue('');
    expect(screen.getByLabelText('New password')).toHaveValue('');
  });
});
