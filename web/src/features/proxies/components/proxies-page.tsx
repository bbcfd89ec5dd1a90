import { useState } from 'react';
import { EntitySelect } from '@/components/ui/entity-select';
import { AsyncList } from '@/components/ui/states';
import { fmtTime } from '@/utils/format';
import { useClusters } from '@/features/clusters/api/clusters';
import { useProxies } from '../api/proxies';

export default function Proxies() {
  const clusters = useClusters();
  const [filter, setFilter] = useState('');
  const proxies = useProxies(filter ? Number(filter) : undefined);
  const clusterName = (id: number) => clusters.data?.items.find((c) => c.id === id)?.name ?? `#${id}`;

  return (
    <section aria-labelledby="proxies-title">
      <h1 id="proxies-title">Proxies</h1>
      <div className="toolbar">
        <label htmlFor="proxy-filter">Filter by cluster</label>
        <EntitySelect
          id="proxy-filter"
          value={filter}
          onChange={setFilter}
          placeholder="All clusters"
          options={clusters.data?.items ?? []}
        />
        <span className="muted">Refreshes every 10 s</span>
      </div>
      <AsyncList
        items={proxies.data?.items}
        error={proxies.error}
        onRetry={() => void proxies.refetch()}
        emptyTitle="No proxies registered"
        empty="Proxies appear here once they register with a cluster's API key."
      >
        {(items) => (
          <table className="table" aria-label="Proxies">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Name</th>
                <th scope="col">Cluster</th>
                <th scope="col">Status</th>
                <th scope="col">Address</th>
                <th scope="col">Version</th>
                <th scope="col">Config version</th>
                <th scope="col">Last seen</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td>{p.id}</td>
                  <td>{p.name}</td>
                  <td>{clusterName(p.cluster_id)}</td>
                  <td>
                    <span className={`badge ${p.status === 'online' ? 'badge-ok' : 'badge-bad'}`}>{p.status}</span>
                  </td>
                  <td>{p.address}</td>
                  <td>{p.version}</td>
                  <td>{p.config_version ?? '—'}</td>
                  <td>{fmtTime(p.last_seen)}</td>
                  <td>{fmtTime(p.registered_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
    </section>
  );
}
