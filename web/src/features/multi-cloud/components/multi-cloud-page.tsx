import { useOwnerFilter } from '@/components/resource-page/owner-filter';
import { DetailToggle, ResourcePage, type Column } from '@/components/resource-page/resource-page';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import type { Service } from '@/lib/api-types';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { useRouteTableMutations, useRouteTables } from '../api/route-tables';
import type { RouteTable } from '../types';
import { EMPTY_ROUTE_TABLE, routeTableToForm } from '../utils/route-table-form';
import CostAnalytics from './cost-analytics';
import { EndpointHealthTable } from './endpoint-health-table';
import { FailoverDrill } from './failover-drill';
import RouteTableForm from './route-table-form';

function columns(serviceName: (id: number) => string): Column<RouteTable>[] {
  return [
    { header: 'Name', cell: (t) => t.name },
    { header: 'Service', cell: (t) => serviceName(t.service_id) },
    { header: 'Algorithm', cell: (t) => t.algorithm },
    {
      header: 'Endpoints',
      cell: (t) =>
        t.routes.map((r) => (
          <div key={r.endpoint}>
            <span className="badge badge-muted">{r.provider}</span> {r.region} · {r.endpoint}
          </div>
        )),
    },
    { header: 'Auto failover', cell: (t) => (t.enable_auto_failover ? 'on' : 'off') },
    { header: 'Status', cell: (t) => <EnabledBadge enabled={t.enabled} /> },
  ];
}

/**
 * Route tables: list (filtered by service), create/edit, enable/disable, delete; the detail of one table
 * shows its endpoints' live health and the failover drill; cost analytics below. `services` (undefined
 * while loading) names the services and feeds the form and filter.
 */
export function MultiCloudPage({ services }: { services: Service[] | undefined }) {
  const byService = useOwnerFilter(services, {
    id: 'mc-filter',
    label: 'Filter by service',
    placeholder: 'All services',
  });
  const list = useRouteTables(byService.selected ? { service_id: byService.selected } : {});
  const tables = useRouteTableMutations();
  const { isAdmin } = useAuth();

  return (
    <ResourcePage<RouteTable>
      titleId="mc-title"
      title="Multi-Cloud Routing"
      feature="multi_cloud_routing"
      list={listState(list)}
      filter={byService.filter}
      showCount
      table={{
        label: 'Route tables',
        columns: columns(byService.nameOf),
        empty: 'No route tables',
        emptyHint: 'Create a route table to spread a service over cloud endpoints.',
      }}
      form={{
        allowed: isAdmin,
        mode: 'button',
        newLabel: 'New route table',
        render: (target, page) => (
          <RouteTableForm
            title={target === 'new' ? 'New route table' : `Edit route table “${target.name}”`}
            submitLabel={target === 'new' ? 'Create route table' : 'Save changes'}
            initial={target === 'new' ? EMPTY_ROUTE_TABLE : routeTableToForm(target)}
            services={services ?? []}
            onCancel={page.closeForm}
            onSubmit={async (input) => {
              if (target === 'new') {
                const t = await tables.create(input);
                page.open(t.id);
              } else {
                await tables.update(target.id, input);
              }
              page.closeForm();
            }}
          />
        ),
      }}
      rowActions={(t, page) => {
        const text = page.isOpen(t) ? 'Hide' : 'Health & drill';
        return (
          <>
            <DetailToggle open={page.isOpen(t)} onToggle={() => page.toggle(t)} label={`${text} ${t.name}`}>
              {text}
            </DetailToggle>
            {isAdmin && (
              <RowActions
                name={t.name}
                enabled={t.enabled}
                onEdit={() => page.edit(t)}
                onToggle={() => page.run(() => (t.enabled ? tables.disable(t.id) : tables.enable(t.id)))}
                onDelete={() => page.remove(t, `Delete route table “${t.name}”?`, () => tables.remove(t.id))}
              />
            )}
          </>
        );
      }}
      detail={(id, t) =>
        t && (
          <section className="card" aria-labelledby={`rt-detail-${id}`}>
            <h2 id={`rt-detail-${id}`}>Endpoints of “{t.name}”</h2>
            <EndpointHealthTable table={t} />
            {isAdmin && <FailoverDrill key={id} table={t} />}
          </section>
        )
      }
    >
      <CostAnalytics />
    </ResourcePage>
  );
}
