import { useState, type FormEvent } from 'react';
import { Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { OptionSelect } from '@/components/ui/option-select';
import { useFormSubmission } from '@/hooks/use-form-submission';
import { newPassword, type Errors } from '@/utils/validation';
import type { Role, User, UserChange } from '../types';

const ROLES: readonly Role[] = ['admin', 'viewer'];

interface EditorProps {
  user: User;
  /** The signed-in administrator is this user: a change ends their own session. */
  isSelf: boolean;
  update: (id: number, change: UserChange) => Promise<User>;
}

function Done({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="result result-ok" role="status">
      {message}
    </p>
  );
}

/** A new role. The server refuses (409) to demote the last admin; the form shows its message. */
function RoleForm({ user, isSelf, update }: EditorProps) {
  const [role, setRole] = useState<Role>(user.role);
  const [done, setDone] = useState<string | null>(null);
  const { errors, formError, busy, check, send } = useFormSubmission();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    if (!check(role === user.role ? { role: `${user.username} is ${role} already` } : {})) return;
    if (isSelf && !window.confirm(`Make yourself ${role}? Your session ends: sign in again to go on as ${role}.`)) {
      return;
    }
    await send(async () => {
      const saved = await update(user.id, { role });
      setDone(`${saved.username} is now ${saved.role}; their sessions were signed out.`);
    });
  }

  return (
    <FormCard label={`Role of ${user.username}`} title="Role" onSubmit={onSubmit}>
      <div className="form-row">
        <Field id={`user-${user.id}-role`} label="New role" error={errors.role}>
          <OptionSelect value={role} onChange={setRole} options={ROLES} />
        </Field>
      </div>
      <FormFooter
        errors={errors}
        shown={['role']}
        formError={formError}
        busy={busy}
        submitLabel="Change role"
        busyLabel="Changing…"
      />
      <Done message={done} />
    </FormCard>
  );
}

/** An administrator's reset of the user's password (no current password needed). */
function PasswordResetForm({ user, isSelf, update }: EditorProps) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { errors, formError, busy, check, send } = useFormSubmission();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const v: Errors = {};
    newPassword(v, 'password', 'confirm', password, confirm);
    if (!check(v)) return;
    if (isSelf && !window.confirm('Reset your own password? Your session ends: sign in again with the new one.')) {
      return;
    }
    await send(async () => {
      await update(user.id, { password });
      setPassword('');
      setConfirm('');
      setDone(`The password of ${user.username} was reset; their sessions were signed out.`);
    });
  }

  return (
    <FormCard label={`Reset the password of ${user.username}`} title="Reset password" onSubmit={onSubmit}>
      <div className="form-row">
        <Field id={`user-${user.id}-password`} label="New password" error={errors.password}>
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Field id={`user-${user.id}-confirm`} label="Confirm new password" error={errors.confirm}>
          <input
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </Field>
      </div>
      <FormFooter
        errors={errors}
        shown={['password', 'confirm']}
        formError={formError}
        busy={busy}
        submitLabel="Reset password"
        busyLabel="Resetting…"
      />
      <Done message={done} />
    </FormCard>
  );
}

/**
 * The detail of a user on the Users page: change the role, reset the password. Either signs the user out
 * of every session at once (the administrator too, when it is their own account).
 */
export function UserEditor({ user, isSelf, update, onClose }: EditorProps & { onClose: () => void }) {
  const titleId = `user-${user.id}-manage`;
  return (
    <section aria-labelledby={titleId} data-testid={`user-editor-${user.id}`}>
      <div className="page-head">
        <h2 id={titleId}>Manage user “{user.username}”</h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        {isSelf
          ? 'This is your own account: a new role or password signs you out of this session too.'
          : `A new role or password signs ${user.username} out of every session at once.`}
      </p>
      <RoleForm user={user} isSelf={isSelf} update={update} />
      <PasswordResetForm user={user} isSelf={isSelf} update={update} />
    </section>
  );
}
