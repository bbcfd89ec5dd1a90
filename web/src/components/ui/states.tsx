import type { ReactNode } from 'react';
import { errorMessage } from '@/lib/errors';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function ErrorState({
  error,
  onRetry,
  title = 'Something went wrong',
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
}) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="inline-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

interface AsyncListProps<T> {
  /** undefined until the first answer arrives. */
  items: readonly T[] | undefined;
  error: unknown;
  onRetry: () => void;
  emptyTitle: string;
  /** Body of the empty state. */
  empty?: ReactNode;
  children: (items: readonly T[]) => ReactNode;
}

/** A fetched list: error (before any data), loading, empty, or the list itself. */
export function AsyncList<T>({ items, error, onRetry, emptyTitle, empty, children }: AsyncListProps<T>) {
  if (items === undefined) return error ? <ErrorState error={error} onRetry={onRetry} /> : <Loading />;
  if (items.length === 0) return <EmptyState title={emptyTitle}>{empty}</EmptyState>;
  return <>{children(items)}</>;
}
