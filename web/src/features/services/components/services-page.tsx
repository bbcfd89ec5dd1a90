import { useOwnerFilter } from '@/components/resource-page/owner-filter';
import { ResourcePage, type Column } from '@/components/resource-page/resource-page';
import type { Cluster } from '@/lib/api-types';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { useServiceMutations, useServices } from '../api/services';
import type { Service } from '../types';
import { ServiceForm } from './service-form';

function columns(clusterName: (id: number) => string): Column<Service>[] {
  return [
    { header: 'ID', cell: (s) => s.id },
    { header: 'Name', cell: (s) => s.name },
    { header: 'Cluster', cell: (s) => clusterName(s.cluster_id) },
    { header: 'Protocol', cell: (s) => s.protocol },
    { header: 'Hostnames', cell: (s) => s.hostnames.join(', ') || '—' },
    { header: 'Path', cell: (s) => s.path_prefix },
    { header: 'Port', cell: (s) => s.listen_port ?? '—' },
    { header: 'Enabled', cell: (s) => (s.enabled ? 'yes' : 'no') },
  ];
}

/**
 * Services: list (filtered by cluster), create, delete. `clusters` (undefined while loading) names the
 * clusters and feeds the form and filter.
 */
export function ServicesPage({ clusters }: { clusters: Cluster[] | undefined }) {
  const byCluster = useOwnerFilter(clusters, {
    id: 'svc-filter',
    label: 'Filter by cluster',
    placeholder: 'All clusters',
  });
  const services = useServices(byCluster.selected);
  const mutations = useServiceMutations();
  const { isAdmin } = useAuth();

  return (
    <ResourcePage<Service>
      titleId="services-title"
      title="Services"
      list={listState(services)}
      filter={byCluster.filter}
      table={{
        label: 'Services',
        columns: columns(byCluster.nameOf),
        empty: 'No services',
        emptyHint: "Services describe the traffic a cluster's proxies accept.",
      }}
      form={{
        allowed: isAdmin,
        mode: 'inline',
        render: () => <ServiceForm clusters={clusters} create={mutations.create} />,
      }}
      rowActions={
        isAdmin
          ? (s, page) => (
              <button
                type="button"
                className="btn btn-small btn-danger"
                onClick={() => page.run(() => mutations.remove(s.id), `Delete service “${s.name}”?`)}
              >
                Delete
              </button>
            )
          : undefined
      }
    />
  );
}
