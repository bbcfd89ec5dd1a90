import { Fragment, useState, type ReactNode } from 'react';
import { UpgradePrompt } from '@/components/license/license-gate';
import { EntitySelect } from '@/components/ui/entity-select';
import { AsyncList, InlineError } from '@/components/ui/states';
import type { ListState } from '@/lib/crud';
import { LicenseError } from '@/lib/errors';
import type { Feature } from '@/lib/license';

/**
 * The one page pattern of the console's administered resources (clusters, services, users, proxies, QoS
 * policies, route tables, tracing configs): a heading, a create/edit form, a filter, a table with row
 * actions, and the detail of one row. A page configures it with its columns, form, actions and detail;
 * the pattern owns the page state (which form is open, which detail is shown, the last action's error).
 *
 *   heading [New …]  ·  notice  ·  form  ·  list title  ·  toolbar (filter, count)  ·  action error
 *   ·  table (or loading / error / empty)  ·  detail  ·  further sections (children)
 */

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** A record the form is open for: an existing row, or 'new'. */
export type FormTarget<T> = T | 'new';

/** What a page's form, row actions and detail can do to the page. */
export interface PageControls<T> {
  /** Open the form for `row`. */
  edit: (row: T) => void;
  closeForm: () => void;
  /** Show the detail of record `id` (e.g. the record just created). */
  open: (id: number) => void;
  isOpen: (row: T) => boolean;
  /** Show or hide the detail of `row`. */
  toggle: (row: T) => void;
  /**
   * Run a row action; with `confirm`, only once the operator agrees. Its error shows above the list.
   */
  run: (action: () => Promise<unknown>, confirm?: string) => Promise<void>;
  /** Delete `row` through `remove` once the operator agrees, and close its detail. */
  remove: (row: T, confirm: string, remove: () => Promise<unknown>) => Promise<void>;
}

export interface ListFilter {
  /** id of the select (its label points at it). */
  id: string;
  label: string;
  /** The empty option, e.g. "All clusters". */
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly { id: number; name: string }[];
}

export interface ResourcePageProps<T extends { id: number }> {
  /** id of the page heading (the section is labelled by it). */
  titleId: string;
  title: string;
  list: ListState<T>;
  /** An Enterprise page: when the API refuses the list for the license, show the upgrade prompt. */
  feature?: Feature;
  table: {
    label: string;
    columns: Column<T>[];
    rowTestId?: (row: T) => string;
    /** The empty state's title and text. */
    empty: string;
    emptyHint?: ReactNode;
  };
  /**
   * The create/edit form. `inline`: a create form always shown; `button`: hidden until the heading's
   * "New …" button (or a row's Edit) opens it. Only shown when `allowed` (the operator may write).
   */
  form?: { allowed: boolean } & (
    | { mode: 'inline'; render: (controls: PageControls<T>) => ReactNode }
    | { mode: 'button'; newLabel: string; render: (target: FormTarget<T>, controls: PageControls<T>) => ReactNode }
  );
  /** The buttons of a row; the table has an Actions column when given. */
  rowActions?: (row: T, controls: PageControls<T>) => ReactNode;
  /** The detail of the open record (`row` is undefined when the current list does not include it). */
  detail?: (id: number, row: T | undefined, controls: PageControls<T>) => ReactNode;
  filter?: ListFilter;
  /** "Showing 10 of 42" in the toolbar when the list is cut short. */
  showCount?: boolean;
  /** More toolbar content, after the filter. */
  toolbarExtra?: ReactNode;
  /** Shown between the heading and the form (e.g. an API key shown once). */
  notice?: ReactNode;
  /** A heading above the list. */
  listTitle?: string;
  /** Sections below the list. */
  children?: ReactNode;
}

export function ResourcePage<T extends { id: number }>(props: ResourcePageProps<T>) {
  const { titleId, title, list, feature, table, form, rowActions, detail, filter, showCount, toolbarExtra } = props;
  const [editing, setEditing] = useState<FormTarget<T> | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  if (feature && list.error instanceof LicenseError) {
    return <UpgradePrompt feature={feature} message={list.error.message} upgradeUrl={list.error.upgradeUrl} />;
  }

  const run = async (action: () => Promise<unknown>, confirm?: string) => {
    setActionError(null);
    if (confirm !== undefined && !window.confirm(confirm)) return;
    try {
      await action();
    } catch (e) {
      setActionError(e);
    }
  };
  const controls: PageControls<T> = {
    edit: (row) => setEditing(row),
    closeForm: () => setEditing(null),
    open: setOpenId,
    isOpen: (row) => openId === row.id,
    toggle: (row) => setOpenId(openId === row.id ? null : row.id),
    run,
    remove: (row, confirm, remove) =>
      run(async () => {
        await remove();
        if (openId === row.id) setOpenId(null);
      }, confirm),
  };

  const { items, total } = list;
  const heading = <h1 id={titleId}>{title}</h1>;
  return (
    <section aria-labelledby={titleId}>
      {form?.mode === 'button' ? (
        <div className="page-head">
          {heading}
          {form.allowed && editing === null && (
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              {form.newLabel}
            </button>
          )}
        </div>
      ) : (
        heading
      )}
      {props.notice}
      {form?.allowed && form.mode === 'inline' && form.render(controls)}
      {form?.allowed && form.mode === 'button' && editing !== null && (
        <Fragment key={editing === 'new' ? 'new' : editing.id}>{form.render(editing, controls)}</Fragment>
      )}
      {props.listTitle && <h2>{props.listTitle}</h2>}
      {(filter || toolbarExtra || showCount) && (
        <div className="toolbar">
          {filter && (
            <>
              <label htmlFor={filter.id}>{filter.label}</label>
              <EntitySelect
                id={filter.id}
                value={filter.value}
                onChange={filter.onChange}
                placeholder={filter.placeholder}
                options={filter.options}
              />
            </>
          )}
          {toolbarExtra}
          {showCount && items !== undefined && total > items.length && (
            <span className="muted">
              Showing {items.length} of {total}
            </span>
          )}
        </div>
      )}
      <InlineError error={actionError} />
      <AsyncList
        items={items}
        error={list.error}
        onRetry={list.reload}
        emptyTitle={table.empty}
        empty={table.emptyHint}
      >
        {(rows) => (
          <table className="table" aria-label={table.label}>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th scope="col" key={c.header}>
                    {c.header}
                  </th>
                ))}
                {rowActions && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-testid={table.rowTestId?.(row)}>
                  {table.columns.map((c) => (
                    <td key={c.header}>{c.cell(row)}</td>
                  ))}
                  {rowActions && <td className="row-actions">{rowActions(row, controls)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
      {detail &&
        openId !== null &&
        detail(
          openId,
          items?.find((r) => r.id === openId),
          controls,
        )}
      {props.children}
    </section>
  );
}

/** The button of a row that shows or hides its detail (`pressed`: a toggle button, else a disclosure). */
export function DetailToggle({
  open,
  onToggle,
  label,
  children,
  pressed = false,
}: {
  open: boolean;
  onToggle: () => void;
  /** The accessible name. */
  label: string;
  children: ReactNode;
  pressed?: boolean;
}) {
  return (
    <button
      type="button"
      className="btn btn-small"
      aria-pressed={pressed ? open : undefined}
      aria-expanded={pressed ? undefined : open}
      onClick={onToggle}
      aria-label={label}
    >
      {children}
    </button>
  );
}
