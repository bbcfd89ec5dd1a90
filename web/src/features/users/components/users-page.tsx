import { useState, type FormEvent } from 'react';
import { Field, OtherErrors } from '@/components/ui/field';
import { AsyncList, EmptyState, InlineError } from '@/components/ui/states';
import { fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useFormSubmission } from '@/hooks/use-form-submission';
import { useUserMutations, useUsers } from '../api/users';

export function validateUser(username: string, password: string): Record<string, string> {
  const e: Record<string, string> = {};
  if (!username.trim()) e.username = 'must not be empty';
  else if (username.trim().length > 64) e.username = 'must be at most 64 characters';
  if (password.length < 8) e.password = 'must be at least 8 characters';
  return e;
}

export default function Users() {
  const { isAdmin, user: me } = useAuth();
  const users = useUsers(isAdmin);
  const mutations = useUserMutations();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'admin' | 'viewer'>('viewer');
  const { errors, formError, busy, check, send } = useFormSubmission();
  const [actionError, setActionError] = useState<unknown>(null);

  if (!isAdmin) {
    return (
      <section aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <EmptyState title="Only administrators manage users" />
      </section>
    );
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateUser(username, password))) return;
    await send(async () => {
      await mutations.create({ username: username.trim(), password, role });
      setUsername('');
      setPassword('');
    });
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form className="card form" onSubmit={onSubmit} aria-label="Create user" noValidate>
        <h2>New user</h2>
        <div className="form-row">
          <Field id="user-name" label="Username" error={errors.username}>
            <input autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          <Field id="user-password" label="Password" error={errors.password}>
            <input
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <Field id="user-role" label="Role" error={errors.role}>
            <select value={role} onChange={(e) => setRole(e.target.value as 'admin' | 'viewer')}>
              <option value="viewer">viewer (read-only)</option>
              <option value="admin">admin</option>
            </select>
          </Field>
        </div>
        <OtherErrors errors={errors} shown={['username', 'password', 'role']} />
        <InlineError error={formError} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create user'}
        </button>
      </form>
      <InlineError error={actionError} />
      <AsyncList
        items={users.data?.items}
        error={users.error}
        onRetry={() => void users.refetch()}
        emptyTitle="No users"
      >
        {(items) => (
          <table className="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id}>
                  <td>{u.id}</td>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>{fmtTime(u.created_at)}</td>
                  <td className="row-actions">
                    {u.id !== me?.id && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Delete ${u.username}`}
                        onClick={async () => {
                          if (!window.confirm(`Delete user “${u.username}”?`)) return;
                          setActionError(null);
                          try {
                            await mutations.remove(u.id);
                          } catch (err) {
                            setActionError(err);
                          }
                        }}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
    </section>
  );
}
