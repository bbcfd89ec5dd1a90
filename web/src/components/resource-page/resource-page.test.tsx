import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ListState } from '@/lib/crud';
import { LicenseError } from '@/lib/errors';
import { DetailToggle, ResourcePage, type Column, type ResourcePageProps } from './resource-page';

interface Row {
  id: number;
  name: string;
}

const COLUMNS: Column<Row>[] = [
  { header: 'ID', cell: (r) => r.id },
  { header: 'Name', cell: (r) => r.name },
];

function list(items: Row[] | undefined, over: Partial<ListState<Row>> = {}): ListState<Row> {
  return { items, total: items?.length ?? 0, error: null, reload: vi.fn(), ...over };
}

function page(props: Partial<ResourcePageProps<Row>> = {}) {
  return (
    <ResourcePage<Row>
      titleId="things-title"
      title="Things"
      list={list([
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ])}
      table={{ label: 'Things', columns: COLUMNS, empty: 'No things', rowTestId: (r) => `thing-${r.id}` }}
      {...props}
    />
  );
}

describe('ResourcePage', () => {
  it('renders the heading, the columns and the rows', () => {
    render(page());
    expect(screen.getByRole('region', { name: 'Things' })).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Things' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['ID', 'Name']);
    expect(screen.getByTestId('thing-2')).toHaveTextContent('2two');
  });

  it('shows loading, the error with Retry, and the empty state', async () => {
    const { rerender } = render(page({ list: list(undefined) }));
    expect(screen.getByRole('status')).toHaveTextContent('Loading');
    const reload = vi.fn();
    rerender(page({ list: list(undefined, { error: new Error('boom'), reload }) }));
    expect(screen.getByRole('alert')).toHaveTextContent('boom');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }));
    expect(reload).toHaveBeenCalledTimes(1);
    rerender(
      page({ list: list([]), table: { label: 'Things', columns: COLUMNS, empty: 'No things', emptyHint: 'Add one.' } }),
    );
    expect(screen.getByText('No things')).toBeInTheDocument();
    expect(screen.getByText('Add one.')).toBeInTheDocument();
  });

  it('shows the upgrade prompt when an Enterprise list is refused for the license', () => {
    render(
      page({
        feature: 'traffic_shaping',
        list: list(undefined, { error: new LicenseError('traffic_shaping', 'Needs Enterprise') }),
      }),
    );
    expect(screen.getByTestId('license-gate')).toHaveTextContent('Needs Enterprise');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('filters, and counts when the list is cut short', async () => {
    const onChange = vi.fn();
    render(
      page({
        list: { ...list([{ id: 1, name: 'one' }]), total: 5 },
        showCount: true,
        filter: {
          id: 'f',
          label: 'Filter by kind',
          placeholder: 'All kinds',
          value: '',
          onChange,
          options: [{ id: 7, name: 'big' }],
        },
      }),
    );
    expect(screen.getByText('Showing 1 of 5')).toBeInTheDocument();
    await userEvent.setup().selectOptions(screen.getByLabelText('Filter by kind'), 'big');
    expect(onChange).toHaveBeenCalledWith('7');
  });

  it('opens the create form from the heading button and an edit form from a row, only when allowed', async () => {
    const user = userEvent.setup();
    const form = {
      mode: 'button' as const,
      newLabel: 'New thing',
      render: (target: Row | 'new', c: { closeForm: () => void }) => (
        <div>
          <p>{target === 'new' ? 'creating' : `editing ${target.name}`}</p>
          <button type="button" onClick={c.closeForm}>
            Cancel
          </button>
        </div>
      ),
    };
    const { rerender } = render(page({ form: { allowed: false, ...form } }));
    expect(screen.queryByRole('button', { name: 'New thing' })).toBeNull();
    rerender(
      page({
        form: { allowed: true, ...form },
        rowActions: (r, c) => (
          <button type="button" onClick={() => c.edit(r)}>
            Edit {r.name}
          </button>
        ),
      }),
    );
    await user.click(screen.getByRole('button', { name: 'New thing' }));
    expect(screen.getByText('creating')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New thing' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await user.click(screen.getByRole('button', { name: 'Edit two' }));
    expect(screen.getByText('editing two')).toBeInTheDocument();
  });

  it('toggles the detail of a row, runs actions after confirmation and shows their errors', async () => {
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, 'confirm');
    const remove = vi.fn().mockRejectedValueOnce(new Error('in use')).mockResolvedValue(undefined);
    render(
      page({
        rowActions: (r, c) => (
          <>
            <DetailToggle open={c.isOpen(r)} onToggle={() => c.toggle(r)} label={`Details of ${r.name}`}>
              Details
            </DetailToggle>
            <button type="button" onClick={() => c.remove(r, `Delete ${r.name}?`, () => remove(r.id))}>
              Delete {r.name}
            </button>
          </>
        ),
        detail: (id, row) => <p>detail of {row?.name ?? id}</p>,
      }),
    );
    expect(screen.getByRole('columnheader', { name: 'Actions' })).toBeInTheDocument();
    const toggle = screen.getByRole('button', { name: 'Details of one' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByText('detail of one')).toBeInTheDocument();

    confirm.mockReturnValueOnce(false);
    await user.click(screen.getByRole('button', { name: 'Delete one' }));
    expect(remove).not.toHaveBeenCalled();

    confirm.mockReturnValue(true);
    await user.click(screen.getByRole('button', { name: 'Delete one' }));
    expect(confirm).toHaveBeenLastCalledWith('Delete one?');
    expect(await screen.findByRole('alert')).toHaveTextContent('in use');
    expect(screen.getByText('detail of one')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Delete one' }));
    expect(remove).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByText('detail of one')).toBeNull();
  });
});
