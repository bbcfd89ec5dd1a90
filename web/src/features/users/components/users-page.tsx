import { DetailToggle, ResourcePage, type Column } from '@/components/resource-page/resource-page';
import { EmptyState } from '@/components/ui/states';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { fmtTime } from '@/utils/format';
import { useUserMutations, useUsers } from '../api/users';
import type { User } from '../types';
import { UserEditor } from './user-editor';
import { UserForm } from './user-form';

const COLUMNS: Column<User>[] = [
  { header: 'ID', cell: (u) => u.id },
  { header: 'Username', cell: (u) => u.username },
  { header: 'Role', cell: (u) => u.role },
  { header: 'Created', cell: (u) => fmtTime(u.created_at) },
];

/**
 * Users (administrators only): list, create, change a role or reset a password (Manage), delete (not
 * oneself). The server's refusals (409: the last admin, oneself) show above the list or in the form.
 */
export default function UsersPage() {
  const { isAdmin, user: me } = useAuth();
  const users = useUsers(isAdmin);
  const mutations = useUserMutations();

  if (!isAdmin) {
    return (
      <section aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <EmptyState title="Only administrators manage users" />
      </section>
    );
  }

  return (
    <ResourcePage<User>
      titleId="users-title"
      title="Users"
      list={listState(users)}
      table={{ label: 'Users', columns: COLUMNS, rowTestId: (u) => `user-row-${u.id}`, empty: 'No users' }}
      form={{ allowed: true, mode: 'inline', render: () => <UserForm create={mutations.create} /> }}
      rowActions={(u, page) => (
        <>
          <DetailToggle open={page.isOpen(u)} onToggle={() => page.toggle(u)} label={`Manage ${u.username}`}>
            Manage
          </DetailToggle>
          {u.id !== me?.id && (
            <button
              type="button"
              className="btn btn-small btn-danger"
              aria-label={`Delete ${u.username}`}
              onClick={() => page.remove(u, `Delete user “${u.username}”?`, () => mutations.remove(u.id))}
            >
              Delete
            </button>
          )}
        </>
      )}
      detail={(_id, u, page) =>
        u && (
          <UserEditor
            key={u.id}
            user={u}
            isSelf={u.id === me?.id}
            update={mutations.update}
            onClose={() => page.toggle(u)}
          />
        )
      }
    />
  );
}
