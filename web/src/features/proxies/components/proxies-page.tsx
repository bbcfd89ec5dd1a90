import { useOwnerFilter } from '@/components/resource-page/owner-filter';
import { ResourcePage, type Column } from '@/components/resource-page/resource-page';
import type { Cluster } from '@/lib/api-types';
import { listState } from '@/lib/crud';
import { fmtTime } from '@/utils/format';
import { useProxies } from '../api/proxies';
import type { Proxy } from '../types';
import { ProxyStatus } from './proxy-status';

function columns(clusterName: (id: number) => string): Column<Proxy>[] {
  return [
    { header: 'ID', cell: (p) => p.id },
    { header: 'Name', cell: (p) => p.name },
    { header: 'Cluster', cell: (p) => clusterName(p.cluster_id) },
    { header: 'Status', cell: (p) => <ProxyStatus status={p.status} /> },
    { header: 'Address', cell: (p) => p.address },
    { header: 'Version', cell: (p) => p.version },
    { header: 'Config version', cell: (p) => p.config_version ?? '—' },
    { header: 'Last seen', cell: (p) => fmtTime(p.last_seen) },
    { header: 'Registered', cell: (p) => fmtTime(p.registered_at) },
  ];
}

/**
 * The registered proxies (read-only), filtered by cluster and polled. `clusters` (undefined while loading)
 * names the clusters and feeds the filter.
 */
export function ProxiesPage({ clusters }: { clusters: Cluster[] | undefined }) {
  const byCluster = useOwnerFilter(clusters, {
    id: 'proxy-filter',
    label: 'Filter by cluster',
    placeholder: 'All clusters',
  });
  const proxies = useProxies(byCluster.selected);

  return (
    <ResourcePage<Proxy>
      titleId="proxies-title"
      title="Proxies"
      list={listState(proxies)}
      filter={byCluster.filter}
      toolbarExtra={<span className="muted">Refreshes every 10 s</span>}
      table={{
        label: 'Proxies',
        columns: columns(byCluster.nameOf),
        empty: 'No proxies registered',
        emptyHint: "Proxies appear here once they register with a cluster's API key.",
      }}
    />
  );
}
