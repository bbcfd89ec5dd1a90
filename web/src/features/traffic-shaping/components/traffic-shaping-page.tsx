import { useState } from 'react';
import LicenseGate, { UpgradePrompt } from '@/components/license/license-gate';
import { EntitySelect } from '@/components/ui/entity-select';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import { AsyncList, ErrorState, InlineError, Loading } from '@/components/ui/states';
import { fmtBytes, fmtNum, fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useServices } from '@/features/services/api/services';
import { usePolicyStats, useQosPolicies, useQosPolicyMutations } from '../api/qos-policies';
import { LicenseError } from '@/lib/errors';
import type { QosPolicy } from '../types';
import QosPolicyForm from './qos-policy-form';
import { EMPTY_QOS, PRIORITIES, qosToForm } from '../utils/qos-form';

function PolicyStats({ policyId }: { policyId: number }) {
  const stats = usePolicyStats(policyId);
  if (stats.error && !stats.data)
    return <ErrorState title="Statistics unavailable" error={stats.error} onRetry={() => void stats.refetch()} />;
  if (stats.isPending || !stats.data) return <Loading label="Loading statistics…" />;
  const s = stats.data;
  // The server always lists P0–P3 (zeros until measured): show the table once a proxy has reported.
  const classes = PRIORITIES.filter((p) => s.delay_ms?.[p]);
  const reporting = s.proxies_reporting ?? 0;
  return (
    <div className="card stats-panel" aria-label={`Statistics of policy ${policyId}`} data-testid="qos-stats">
      <h3>Live statistics (policy #{policyId})</h3>
      <div className="grid">
        <div className="stat">
          <div className="stat-label">Current rate</div>
          <div className="stat-value">{fmtNum(s.current_rate_mbps)} Mbps</div>
        </div>
        <div className="stat">
          <div className="stat-label">Bytes passed</div>
          <div className="stat-value">{fmtBytes(s.bytes_passed)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Bytes delayed</div>
          <div className="stat-value">{fmtBytes(s.bytes_delayed)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">SLA violations</div>
          <div className="stat-value">{fmtNum(s.sla_violations)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Proxies reporting</div>
          <div className="stat-value">{fmtNum(reporting)}</div>
        </div>
      </div>
      {reporting === 0 ? (
        <p className="muted">No proxy has reported statistics for this policy yet.</p>
      ) : classes.length === 0 ? (
        <p className="muted">No delay measurements yet: no traffic has passed through this policy.</p>
      ) : (
        <table className="table">
          <caption>Queueing delay per class</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">p50 (ms)</th>
              <th scope="col">p99 (ms)</th>
            </tr>
          </thead>
          <tbody>
            {classes.map((p) => (
              <tr key={p}>
                <td>{p}</td>
                <td>{fmtNum(s.delay_ms[p]?.p50)}</td>
                <td>{fmtNum(s.delay_ms[p]?.p99)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">Updated {fmtTime(s.updated_at)} · refreshes every 5 s</p>
    </div>
  );
}

function fmtLimit(v: number | null) {
  return v === null ? 'unlimited' : `${v} Mbps`;
}

export function TrafficShaping() {
  const [serviceFilter, setServiceFilter] = useState('');
  const list = useQosPolicies(serviceFilter ? { service_id: Number(serviceFilter) } : {});
  const m = useQosPolicyMutations();
  const ts = {
    policies: list.data?.items ?? [],
    total: list.data?.total ?? 0,
    loaded: list.data !== undefined,
    error: list.error,
    reload: () => void list.refetch(),
    createPolicy: m.create,
    updatePolicy: m.update,
    deletePolicy: m.remove,
    enablePolicy: m.enable,
    disablePolicy: m.disable,
  };
  const services = useServices();
  const { isAdmin } = useAuth();
  const [editing, setEditing] = useState<QosPolicy | 'new' | null>(null);
  const [statsFor, setStatsFor] = useState<number | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  if (ts.error instanceof LicenseError)
    return <UpgradePrompt feature="traffic_shaping" message={ts.error.message} upgradeUrl={ts.error.upgradeUrl} />;

  const serviceName = (id: number) => services.data?.items.find((s) => s.id === id)?.name ?? `#${id}`;
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <section aria-labelledby="ts-title">
      <div className="page-head">
        <h1 id="ts-title">Traffic Shaping</h1>
        {isAdmin && editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            New policy
          </button>
        )}
      </div>
      {editing !== null && (
        <QosPolicyForm
          key={editing === 'new' ? 'new' : editing.id}
          title={editing === 'new' ? 'New QoS policy' : `Edit policy “${editing.name}”`}
          submitLabel={editing === 'new' ? 'Create policy' : 'Save changes'}
          initial={editing === 'new' ? EMPTY_QOS : qosToForm(editing)}
          services={services.data?.items ?? []}
          onCancel={() => setEditing(null)}
          onSubmit={async (input) => {
            if (editing === 'new') await ts.createPolicy(input);
            else await ts.updatePolicy(editing.id, input);
            setEditing(null);
          }}
        />
      )}
      {editing !== null && services.data?.items.length === 0 && (
        <p className="muted">There are no services yet: create one on the Services page first.</p>
      )}
      <div className="toolbar">
        <label htmlFor="ts-filter">Filter by service</label>
        <EntitySelect
          id="ts-filter"
          value={serviceFilter}
          onChange={setServiceFilter}
          placeholder="All services"
          options={services.data?.items ?? []}
        />
        {ts.loaded && ts.total > ts.policies.length && (
          <span className="muted">
            Showing {ts.policies.length} of {ts.total}
          </span>
        )}
      </div>
      <InlineError error={actionError} />
      <AsyncList
        items={ts.loaded ? ts.policies : undefined}
        error={ts.error}
        onRetry={ts.reload}
        emptyTitle="No QoS policies"
        empty="Create a policy to limit bandwidth and prioritise a service's traffic."
      >
        {(items) => (
          <table className="table" aria-label="QoS policies">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Service</th>
                <th scope="col">Ingress</th>
                <th scope="col">Egress</th>
                <th scope="col">Burst</th>
                <th scope="col">Class</th>
                <th scope="col">Weight</th>
                <th scope="col">DSCP</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-testid={`qos-row-${p.id}`}>
                  <td>{p.name}</td>
                  <td>{serviceName(p.service_id)}</td>
                  <td>{fmtLimit(p.bandwidth.ingress_mbps)}</td>
                  <td>{fmtLimit(p.bandwidth.egress_mbps)}</td>
                  <td>{p.bandwidth.burst_size_kb} KB</td>
                  <td>{p.priority_config.priority}</td>
                  <td>{p.priority_config.weight}</td>
                  <td>{p.priority_config.dscp_marking}</td>
                  <td>
                    <EnabledBadge enabled={p.enabled} />
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-pressed={statsFor === p.id}
                      onClick={() => setStatsFor(statsFor === p.id ? null : p.id)}
                      aria-label={`Stats of ${p.name}`}
                    >
                      Stats
                    </button>
                    {isAdmin && (
                      <RowActions
                        name={p.name}
                        enabled={p.enabled}
                        onEdit={() => setEditing(p)}
                        onToggle={() => act(() => (p.enabled ? ts.disablePolicy(p.id) : ts.enablePolicy(p.id)))}
                        onDelete={() =>
                          act(async () => {
                            if (!window.confirm(`Delete QoS policy “${p.name}”?`)) return;
                            await ts.deletePolicy(p.id);
                            if (statsFor === p.id) setStatsFor(null);
                          })
                        }
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
      {statsFor !== null && <PolicyStats policyId={statsFor} />}
    </section>
  );
}

export default function TrafficShapingPage() {
  return (
    <LicenseGate feature="traffic_shaping">
      <TrafficShaping />
    </LicenseGate>
  );
}
