import { useState, type FormEvent } from 'react';
import { Field } from '@/components/ui/field';
import { FormCard, FormFooter } from '@/components/ui/form';
import { useFormSubmission } from '@/hooks/use-form-submission';
import { authApi, useAuth } from '@/lib/auth';
import { newPassword, type Errors } from '@/utils/validation';

/** Error keys are the API's `loc`s (current_password, new_password), plus the form's own `confirm`. */
export function validatePasswordChange(current: string, next: string, confirm: string): Errors {
  const e: Errors = {};
  if (!current) e.current_password = 'must not be empty';
  newPassword(e, 'new_password', 'confirm', next, confirm);
  return e;
}

/**
 * Any signed-in user changes their own password. The server signs out their other sessions and answers
 * with new tokens for this one (stored by authApi.changePassword).
 */
export default function ChangePasswordPage() {
  const { user } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const { errors, formError, busy, check, send } = useFormSubmission();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    if (!check(validatePasswordChange(current, next, confirm))) return;
    await send(async () => {
      await authApi.changePassword({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
    });
  }

  return (
    <section aria-labelledby="password-title">
      <h1 id="password-title">Change password</h1>
      <p className="muted">
        {user ? `Signed in as ${user.username}. ` : ''}Changing your password signs out your other sessions (other
        browsers and devices); this one stays signed in.
      </p>
      {done && (
        <div className="result result-ok" role="status">
          Your password was changed. Your other sessions were signed out.
        </div>
      )}
      <FormCard label="Change password" title="New password" onSubmit={onSubmit}>
        {/* For password managers: the account the new password belongs to. */}
        <input type="text" autoComplete="username" value={user?.username ?? ''} readOnly hidden />
        <div className="form-row">
          <Field id="password-current" label="Current password" error={errors.current_password}>
            <input
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </Field>
          <Field id="password-new" label="New password" error={errors.new_password} hint="At least 8 characters.">
            <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          <Field id="password-confirm" label="Confirm new password" error={errors.confirm}>
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
          shown={['current_password', 'new_password', 'confirm']}
          formError={formError}
          busy={busy}
          submitLabel="Change password"
          busyLabel="Changing…"
        />
      </FormCard>
    </section>
  );
}
