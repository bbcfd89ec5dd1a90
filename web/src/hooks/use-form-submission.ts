import { useState } from 'react';
import { ValidationError } from '@/lib/errors';

/**
 * Error and busy state of a form that validates locally and then sends a request:
 * the server's field errors land next to the fields, anything else in `formError`.
 */
export function useFormSubmission() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  /** Show the local validation result; true when there is nothing to fix. */
  const check = (v: Record<string, string>): boolean => {
    setErrors(v);
    setFormError(null);
    return Object.keys(v).length === 0;
  };

  /** Run the request while busy, sorting a failure into field errors or the form error. */
  const send = async (request: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await request();
    } catch (err) {
      if (err instanceof ValidationError) setErrors(err.fieldErrors);
      else setFormError(err);
    } finally {
      setBusy(false);
    }
  };

  return { errors, setErrors, formError, busy, check, send };
}
