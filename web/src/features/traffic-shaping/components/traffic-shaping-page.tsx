import { useOwnerFilter } from '@/components/resource-page/owner-filter';
import { DetailToggle, ResourcePage, type Column } from '@/components/resource-page/resource-page';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import type { Service } from '@/lib/api-types';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { useQosPolicies, useQosPolicyMutations } from '../api/qos-policies';
import type { QosPolicy } from '../types';
import { EMPTY_QOS, qosToForm, scopeLabel } from '../utils/qos-form';
import { PolicyStats } from './policy-stats';
import QosPolicyForm from './qos-policy-form';

function fmtLimit(v: number | null) {
  return v === null ? 'unlimited' : `${v} Mbps`;
}

function columns(serviceName: (id: number) => string): Column<QosPolicy>[] {
  return [
    { header: 'Name', cell: (p) => p.name },
    { header: 'Service', cell: (p) => serviceName(p.service_id) },
    { header: 'Ingress', cell: (p) => fmtLimit(p.bandwidth.ingress_mbps) },
    { header: 'Egress', cell: (p) => fmtLimit(p.bandwidth.egress_mbps) },
    { header: 'Burst', cell: (p) => `${p.bandwidth.burst_size_kb} KB` },
    { header: 'Scope', cell: (p) => scopeLabel(p.bandwidth.scope) },
    { header: 'Class', cell: (p) => p.priority_config.priority },
    { header: 'Weight', cell: (p) => p.priority_config.weight },
    { header: 'DSCP', cell: (p) => p.priority_config.dscp_marking },
    { header: 'Status', cell: (p) => <EnabledBadge enabled={p.enabled} /> },
  ];
}

/**
 * QoS policies: list (filtered by service), create/edit, enable/disable, delete, and the live statistics of
 * one policy. `services` (undefined while loading) names the services and feeds the form and filter.
 */
export function TrafficShapingPage({ services }: { services: Service[] | undefined }) {
  const byService = useOwnerFilter(services, {
    id: 'ts-filter',
    label: 'Filter by service',
    placeholder: 'All services',
  });
  const list = useQosPolicies(byService.selected ? { service_id: byService.selected } : {});
  const policies = useQosPolicyMutations();
  const { isAdmin } = useAuth();

  return (
    <ResourcePage<QosPolicy>
      titleId="ts-title"
      title="Traffic Shaping"
      feature="traffic_shaping"
      list={listState(list)}
      filter={byService.filter}
      showCount
      table={{
        label: 'QoS policies',
        columns: columns(byService.nameOf),
        rowTestId: (p) => `qos-row-${p.id}`,
        empty: 'No QoS policies',
        emptyHint: "Create a policy to limit bandwidth and prioritise a service's traffic.",
      }}
      form={{
        allowed: isAdmin,
        mode: 'button',
        newLabel: 'New policy',
        render: (target, page) => (
          <>
            <QosPolicyForm
              title={target === 'new' ? 'New QoS policy' : `Edit policy “${target.name}”`}
              submitLabel={target === 'new' ? 'Create policy' : 'Save changes'}
              initial={target === 'new' ? EMPTY_QOS : qosToForm(target)}
              services={services ?? []}
              onCancel={page.closeForm}
              onSubmit={async (input) => {
                if (target === 'new') await policies.create(input);
                else await policies.update(target.id, input);
                page.closeForm();
              }}
            />
            {services?.length === 0 && (
              <p className="muted">There are no services yet: create one on the Services page first.</p>
            )}
          </>
        ),
      }}
      rowActions={(p, page) => (
        <>
          <DetailToggle pressed open={page.isOpen(p)} onToggle={() => page.toggle(p)} label={`Stats of ${p.name}`}>
            Stats
          </DetailToggle>
          {isAdmin && (
            <RowActions
              name={p.name}
              enabled={p.enabled}
              onEdit={() => page.edit(p)}
              onToggle={() => page.run(() => (p.enabled ? policies.disable(p.id) : policies.enable(p.id)))}
              onDelete={() => page.remove(p, `Delete QoS policy “${p.name}”?`, () => policies.remove(p.id))}
            />
          )}
        </>
      )}
      detail={(id, row) => <PolicyStats policyId={id} scope={row?.bandwidth.scope} />}
    />
  );
}
