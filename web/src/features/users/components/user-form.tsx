import { useState, type FormEvent } from 'react';
import { Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import type { Role, UserInput } from '../types';

export function validateUser(username: string, password: string): Record<string, string> {
  const e: Record<string, string> = {};
  if (!username.trim()) e.username = 'must not be empty';
  else if (username.trim().length > 64) e.username = 'must be at most 64 characters';
  if (password.length < 8) e.password = 'must be at least 8 characters';
  return e;
}

/** The create form of the Users page (viewer by default). */
export function UserForm({ create }: { create: (input: UserInput) => Promise<unknown> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const { errors, formError, busy, check, send } = useFormSubmission();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!check(validateUser(username, password))) return;
    await send(async () => {
      await create({ username: username.trim(), password, role });
      setUsername('');
      setPassword('');
    });
  }

  return (
    <FormCard label="Create user" title="New user" onSubmit={onSubmit}>
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
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="viewer">viewer (read-only)</option>
            <option value="admin">admin</option>
          </select>
        </Field>
      </div>
      <FormFooter
        errors={errors}
        shown={['username', 'password', 'role']}
        formError={formError}
        busy={busy}
        submitLabel="Create user"
        busyLabel="Creating…"
      />
    </FormCard>
  );
}
