import { useState } from 'react';
import { ResourcePage, type Column } from '@/components/resource-page/resource-page';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { fmtTime } from '@/utils/format';
import { useClusterMutations, useClusters } from '../api/clusters';
import type { Cluster } from '../types';
import { ApiKeyNotice } from './api-key-notice';
import { ClusterForm } from './cluster-form';

const COLUMNS: Column<Cluster>[] = [
  { header: 'ID', cell: (c) => c.id },
  { header: 'Name', cell: (c) => c.name },
  { header: 'Description', cell: (c) => c.description || '—' },
  { header: 'Created', cell: (c) => fmtTime(c.created_at) },
];

/** Clusters: list, create (the API key is shown once), rotate the API key, delete. */
export default function ClustersPage() {
  const clusters = useClusters();
  const mutations = useClusterMutations();
  const { isAdmin } = useAuth();
  const [shownKey, setShownKey] = useState<{ name: string; apiKey: string } | null>(null);

  return (
    <ResourcePage<Cluster>
      titleId="clusters-title"
      title="Clusters"
      list={listState(clusters)}
      notice={shownKey && <ApiKeyNotice {...shownKey} onDismiss={() => setShownKey(null)} />}
      table={{
        label: 'Clusters',
        columns: COLUMNS,
        empty: 'No clusters',
        emptyHint: 'Create the first cluster with the form above.',
      }}
      form={{
        allowed: isAdmin,
        mode: 'inline',
        render: () => (
          <ClusterForm create={mutations.create} onCreated={(c) => setShownKey({ name: c.name, apiKey: c.api_key })} />
        ),
      }}
      rowActions={
        isAdmin
          ? (c, page) => (
              <>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() =>
                    page.run(async () => {
                      const r = await mutations.rotateKey(c.id);
                      setShownKey({ name: c.name, apiKey: r.api_key });
                    }, `Rotate the API key of cluster “${c.name}”? Proxies using the old key must be updated.`)
                  }
                >
                  Rotate key
                </button>
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  onClick={() => page.run(() => mutations.remove(c.id), `Delete cluster “${c.name}”?`)}
                >
                  Delete
                </button>
              </>
            )
          : undefined
      }
    />
  );
}
