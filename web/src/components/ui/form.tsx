import type { FormEvent, ReactNode } from 'react';
import { OtherErrors } from './field';
import { InlineError } from './states';

/** A form in a card: its accessible name (`label`), a heading, then the fields. */
export function FormCard({
  label,
  title,
  onSubmit,
  children,
}: {
  label: string;
  title: string;
  onSubmit: (e: FormEvent) => void;
  children: ReactNode;
}) {
  return (
    <form className="card form" onSubmit={onSubmit} aria-label={label} noValidate>
      <h2>{title}</h2>
      {children}
    </form>
  );
}

interface FormFooterProps {
  errors: Record<string, string>;
  /** Error keys that fields already display. */
  shown: string[];
  formError: unknown;
  busy: boolean;
  submitLabel: string;
  /** The submit button's text while the request runs. */
  busyLabel?: string;
  /** An edit form's Cancel; a create form that is always shown has none. */
  onCancel?: () => void;
}

/** Leftover errors, the form error, and the Save (and Cancel) buttons of a form. */
export function FormFooter({
  errors,
  shown,
  formError,
  busy,
  submitLabel,
  busyLabel = 'Saving…',
  onCancel,
}: FormFooterProps) {
  const submit = (
    <button type="submit" className="btn btn-primary" disabled={busy}>
      {busy ? busyLabel : submitLabel}
    </button>
  );
  return (
    <>
      <OtherErrors errors={errors} shown={shown} />
      <InlineError error={formError} />
      {onCancel ? (
        <div className="actions">
          {submit}
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        submit
      )}
    </>
  );
}
