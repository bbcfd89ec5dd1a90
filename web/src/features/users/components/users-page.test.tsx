import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setUnauthorizedHandler } from '@/lib/api-client';
import { AuthProvider } from '@/lib/auth';
import { getSession } from '@/lib/session';
import { mockApi, signIn, type Handler } from '@/testing/mock-api';
import { withQueryClient } from '@/testing/query';
import type { Role, User } from '../types';
import UsersPage from './users-page';

const LAST_ADMIN = 'the last admin cannot be deleted or demoted; make another user admin first';

const USERS: User[] = [
  { id: 1, username: 'admin', role: 'admin', created_at: '2026-01-01T00:00:00Z' },
  { id: 2, username: 'alice', role: 'viewer', created_at: '2026-01-02T00:00:00Z' },
];

function setup(routes: Record<string, Handler> = {}) {
  signIn();
  const users = [...USERS];
  const { calls } = mockApi({
    'GET /api/v1/auth/me': () => ({ body: users[0] }),
    'GET /api/v1/users': () => ({ body: users }),
    'PATCH /api/v1/users/2': (r) => {
      const change = r.body as { role?: Role };
      if (change.role) users[1] = { ...users[1], role: change.role };
      return { body: users[1] };
    },
    ...routes,
  });
  const QueryWrapper = withQueryClient();
  const wrap = (children: ReactNode) => (
    <QueryWrapper>
      <AuthProvider>{children}</AuthProvider>
    </QueryWrapper>
  );
  render(wrap(<UsersPage />));
  return { calls, user: userEvent.setup() };
}

async function manage(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(await screen.findByRole('button', { name: `Manage ${name}` }));
  return screen.getByRole('region', { name: `Manage user “${name}”` });
}

function row(name: string) {
  return within(screen.getByRole('table', { name: 'Users' }))
    .getAllByRole('row')
    .find((r) => within(r).queryByText(name) !== null) as HTMLElement;
}

describe('Users page', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("changes a user's role and shows the new role in the list", async () => {
    const { calls, user } = setup();
    const editor = await manage(user, 'alice');
    const roleForm = within(editor).getByRole('form', { name: 'Role of alice' });
    await user.selectOptions(within(roleForm).getByLabelText('New role'), 'admin');
    await user.click(within(roleForm).getByRole('button', { name: 'Change role' }));
    expect(await within(roleForm).findByRole('status')).toHaveTextContent('alice is now admin');
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ url: '/api/v1/users/2', body: { role: 'admin' } });
    // The list refetched.
    expect(await within(row('alice')).findByText('admin')).toBeInTheDocument();
  });

  it('shows the 409 of the last admin in the role form', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    const { calls, user } = setup({
      'PATCH /api/v1/users/1': () => ({ status: 409, body: { detail: LAST_ADMIN } }),
    });
    const editor = await manage(user, 'admin');
    expect(editor).toHaveTextContent('This is your own account');
    const roleForm = within(editor).getByRole('form', { name: 'Role of admin' });
    await user.selectOptions(within(roleForm).getByLabelText('New role'), 'viewer');
    await user.click(within(roleForm).getByRole('button', { name: 'Change role' }));
    // Demoting oneself ends one's session: asked first.
    expect(confirm).toHaveBeenCalledWith(expect.stringMatching(/^Make yourself viewer\?/));
    expect(await within(roleForm).findByRole('alert')).toHaveTextContent(LAST_ADMIN);
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ url: '/api/v1/users/1', body: { role: 'viewer' } });
  });

  it('sends an administrator who demoted themselves to login', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const unauthorized = vi.fn();
    setUnauthorizedHandler(unauthorized);
    let revoked = false;
    const { user } = setup({
      'PATCH /api/v1/users/1': () => {
        revoked = true; // the change revokes the admin's own tokens: from now on the server answers 401
        return { body: { ...USERS[0], role: 'viewer' } };
      },
      'GET /api/v1/users': () => (revoked ? { status: 401, body: { detail: 'Not authenticated' } } : { body: USERS }),
    });
    const editor = await manage(user, 'admin');
    const roleForm = within(editor).getByRole('form', { name: 'Role of admin' });
    await user.selectOptions(within(roleForm).getByLabelText('New role'), 'viewer');
    await user.click(within(roleForm).getByRole('button', { name: 'Change role' }));
    await waitFor(() => expect(unauthorized).toHaveBeenCalled());
    expect(getSession()).toBeNull();
  });

  it('resets a password; the server refuses a weak one on the password field', async () => {
    const { calls, user } = setup({
      'PATCH /api/v1/users/2': (r) => {
        const { password } = r.body as { password: string };
        return password.length < 12
          ? {
              status: 422,
              body: {
                detail: [
                  {
                    loc: ['body', 'password'],
                    msg: 'must be at least 12 characters in release mode',
                    type: 'value_error',
                  },
                ],
              },
            }
          : { body: { id: 2, username: 'alice', role: 'viewer', created_at: '' } };
      },
    });
    const editor = await manage(user, 'alice');
    const form = within(editor).getByRole('form', { name: 'Reset the password of alice' });
    await user.type(within(form).getByLabelText('New password'), 'short-pw');
    await user.type(within(form).getByLabelText('Confirm new password'), 'short-pw!');
    await user.click(within(form).getByRole('button', { name: 'Reset password' }));
    expect(within(form).getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'does not match the new password',
    );
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);

    await user.clear(within(form).getByLabelText('Confirm new password'));
    await user.type(within(form).getByLabelText('Confirm new password'), 'short-pw');
    await user.click(within(form).getByRole('button', { name: 'Reset password' }));
    expect(await within(form).findByText('must be at least 12 characters in release mode')).toBeInTheDocument();
    expect(within(form).getByLabelText('New password')).toHaveAccessibleDescription(/at least 12 characters/);

    await user.clear(within(form).getByLabelText('New password'));
    await user.clear(within(form).getByLabelText('Confirm new password'));
    await user.type(within(form).getByLabelText('New password'), 'a-much-longer-pw');
    await user.type(within(form).getByLabelText('Confirm new password'), 'a-much-longer-pw');
    await user.click(within(form).getByRole('button', { name: 'Reset password' }));
    expect(await within(form).findByRole('status')).toHaveTextContent('The password of alice was reset');
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([
      { password: 'short-pw' },
      { password: 'a-much-longer-pw' },
    ]);
  });

  it('shows the 409 of a refused delete above the list', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const { user } = setup({ 'DELETE /api/v1/users/2': () => ({ status: 409, body: { detail: LAST_ADMIN } }) });
    await user.click(await screen.findByRole('button', { name: 'Delete alice' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(LAST_ADMIN);
    // No delete button for oneself.
    expect(screen.queryByRole('button', { name: 'Delete admin' })).toBeNull();
  });
});
