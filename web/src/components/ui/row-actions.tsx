export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <span className={`badge ${enabled ? 'badge-ok' : 'badge-muted'}`}>{enabled ? 'enabled' : 'disabled'}</span>;
}

interface RowActionsProps {
  /** Name of the row's record, used in the buttons' accessible names. */
  name: string;
  enabled: boolean;
  onEdit: () => void;
  onToggle: () => void;
  onDelete: () => void;
}

/** The Edit / Enable-Disable / Delete buttons of an administered table row. */
export function RowActions({ name, enabled, onEdit, onToggle, onDelete }: RowActionsProps) {
  return (
    <>
      <button type="button" className="btn btn-small" onClick={onEdit} aria-label={`Edit ${name}`}>
        Edit
      </button>
      <button
        type="button"
        className="btn btn-small"
        onClick={onToggle}
        aria-label={`${enabled ? 'Disable' : 'Enable'} ${name}`}
      >
        {enabled ? 'Disable' : 'Enable'}
      </button>
      <button type="button" className="btn btn-small btn-danger" onClick={onDelete} aria-label={`Delete ${name}`}>
        Delete
      </button>
    </>
  );
}
