import { useState } from 'react';
import LicenseGate, { UpgradePrompt } from '@/components/license/license-gate';
import { Checkbox, Field } from '@/components/ui/field';
import { EntitySelect } from '@/components/ui/entity-select';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import { AsyncList, EmptyState, ErrorState, InlineError, Loading } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useServices } from '@/features/services/api/services';
import {
  HEALTH_POLL_MS,
  useRouteHealth,
  useRouteTableMutations,
  useRouteTables,
  useTestFailover,
} from '../api/route-tables';
import { LicenseError } from '@/lib/errors';
import type { FailoverRequest, FailoverResult, RouteTable } from '../types';
import CostAnalytics from './cost-analytics';
import RouteTableForm from './route-table-form';
import { EMPTY_ROUTE_TABLE, routeTableToForm } from '../utils/route-table-form';

function EndpointHealthTable({ table }: { table: RouteTable }) {
  const health = useRouteHealth(table.id);
  if (health.error && !health.data)
    return <ErrorState title="Health unavailable" error={health.error} onRetry={() => void health.refetch()} />;
  if (health.isPending || !health.data) return <Loading label="Loading endpoint health…" />;
  if (health.data.length === 0) return <EmptyState title="No endpoints are probed" />;
  return (
    <>
      <table className="table" aria-label={`Endpoint health of ${table.name}`} data-testid="endpoint-health">
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Provider</th>
            <th scope="col">Region</th>
            <th scope="col">Health</th>
            <th scope="col">RTT</th>
            <th scope="col">Last check</th>
            <th scope="col">Failures / successes</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {health.data.map((h) => (
            <tr key={h.endpoint} data-testid="health-row">
              <td>{h.endpoint}</td>
              <td>{h.provider}</td>
              <td>{h.region}</td>
              <td>
                {h.last_check === null ? (
                  <span className="badge badge-muted">not checked yet</span>
                ) : (
                  <span className={`badge ${h.is_healthy ? 'badge-ok' : 'badge-bad'}`}>
                    {h.is_healthy ? 'healthy' : 'unhealthy'}
                  </span>
                )}
              </td>
              <td>{h.rtt_ms === null ? '—' : `${fmtNum(h.rtt_ms)} ms`}</td>
              <td>{fmtTime(h.last_check)}</td>
              <td>
                {h.consecutive_failures} / {h.consecutive_successes}
              </td>
              <td className="text-error">{h.last_error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Refreshes every {HEALTH_POLL_MS / 1000} s{health.error ? ` · last refresh failed: ${health.error.message}` : ''}
      </p>
    </>
  );
}

function FailoverDrill({
  table,
  run,
}: {
  table: RouteTable;
  run: (req: { endpoint?: string; dry_run: boolean; duration_seconds?: number }) => Promise<FailoverResult>;
}) {
  const [endpoint, setEndpoint] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [duration, setDuration] = useState('10');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FailoverResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [durationError, setDurationError] = useState<string | undefined>();

  async function go() {
    const d = Number(duration);
    if (!dryRun && (!Number.isInteger(d) || d < 1 || d > 300)) {
      setDurationError('must be between 1 and 300');
      return;
    }
    setDurationError(undefined);
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(
        await run({ endpoint: endpoint || undefined, dry_run: dryRun, duration_seconds: dryRun ? undefined : d }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card" aria-label="Failover drill" role="group">
      <h3>Failover drill</h3>
      <div className="form-row">
        <Field id={`fo-endpoint-${table.id}`} label="Endpoint to remove">
          <select value={endpoint} onChange={(e) => setEndpoint(e.target.value)}>
            <option value="">Current primary</option>
            {table.routes.map((r) => (
              <option key={r.endpoint} value={r.endpoint}>
                {r.endpoint} ({r.provider} {r.region})
              </option>
            ))}
          </select>
        </Field>
        {!dryRun && (
          <Field id={`fo-duration-${table.id}`} label="Duration (s)" error={durationError}>
            <input inputMode="numeric" value={duration} onChange={(e) => setDuration(e.target.value)} />
          </Field>
        )}
      </div>
      <Checkbox
        id={`fo-dry-${table.id}`}
        label="Dry run (compute the failover target without moving traffic)"
        checked={dryRun}
        onChange={setDryRun}
      />
      <button type="button" className="btn btn-warning" onClick={go} disabled={busy}>
        {busy ? 'Running drill…' : dryRun ? 'Run failover drill (dry run)' : 'Run failover drill'}
      </button>
      <InlineError error={error} />
      {result && (
        <div className="result" role="status" data-testid="failover-result">
          <p>
            <strong>{result.message}</strong>
          </p>
          <dl className="kv">
            <dt>Dry run</dt>
            <dd>{result.dry_run ? 'yes' : 'no'}</dd>
            <dt>Removed endpoint</dt>
            <dd>{result.removed_endpoint}</dd>
            <dt>Failover target</dt>
            <dd>{result.failover_target ?? 'none'}</dd>
            <dt>Switch time</dt>
            <dd>{result.switch_time_ms === null ? '—' : `${fmtNum(result.switch_time_ms)} ms`}</dd>
            <dt>Failed requests</dt>
            <dd>{result.failed_requests ?? '—'}</dd>
            <dt>Traffic moved</dt>
            <dd>{result.traffic_moved === null ? '—' : result.traffic_moved ? 'yes' : 'no'}</dd>
            <dt>Restored</dt>
            <dd>{result.restored ? 'yes' : 'no'}</dd>
          </dl>
        </div>
      )}
    </div>
  );
}

export function MultiCloudRouting() {
  const [serviceFilter, setServiceFilter] = useState('');
  const list = useRouteTables(serviceFilter ? { service_id: Number(serviceFilter) } : {});
  const m = useRouteTableMutations();
  const failover = useTestFailover();
  const mc = {
    routeTables: list.data?.items ?? [],
    total: list.data?.total ?? 0,
    loaded: list.data !== undefined,
    error: list.error,
    reload: () => void list.refetch(),
    createRouteTable: m.create,
    updateRouteTable: m.update,
    deleteRouteTable: m.remove,
    enableRouteTable: m.enable,
    disableRouteTable: m.disable,
    testFailover: (id: number, request: FailoverRequest) => failover.mutateAsync({ id, request }),
  };
  const services = useServices();
  const { isAdmin } = useAuth();
  const [editing, setEditing] = useState<RouteTable | 'new' | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  if (mc.error instanceof LicenseError)
    return <UpgradePrompt feature="multi_cloud_routing" message={mc.error.message} upgradeUrl={mc.error.upgradeUrl} />;

  const serviceName = (id: number) => services.data?.items.find((s) => s.id === id)?.name ?? `#${id}`;
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e);
    }
  };
  const open = mc.routeTables.find((t) => t.id === openId) ?? null;

  return (
    <section aria-labelledby="mc-title">
      <div className="page-head">
        <h1 id="mc-title">Multi-Cloud Routing</h1>
        {isAdmin && editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            New route table
          </button>
        )}
      </div>
      {editing !== null && (
        <RouteTableForm
          key={editing === 'new' ? 'new' : editing.id}
          title={editing === 'new' ? 'New route table' : `Edit route table “${editing.name}”`}
          submitLabel={editing === 'new' ? 'Create route table' : 'Save changes'}
          initial={editing === 'new' ? EMPTY_ROUTE_TABLE : routeTableToForm(editing)}
          services={services.data?.items ?? []}
          onCancel={() => setEditing(null)}
          onSubmit={async (input) => {
            if (editing === 'new') {
              const t = await mc.createRouteTable(input);
              setOpenId(t.id);
            } else {
              await mc.updateRouteTable(editing.id, input);
            }
            setEditing(null);
          }}
        />
      )}
      <div className="toolbar">
        <label htmlFor="mc-filter">Filter by service</label>
        <EntitySelect
          id="mc-filter"
          value={serviceFilter}
          onChange={setServiceFilter}
          placeholder="All services"
          options={services.data?.items ?? []}
        />
        {mc.loaded && mc.total > mc.routeTables.length && (
          <span className="muted">
            Showing {mc.routeTables.length} of {mc.total}
          </span>
        )}
      </div>
      <InlineError error={actionError} />
      <AsyncList
        items={mc.loaded ? mc.routeTables : undefined}
        error={mc.error}
        onRetry={mc.reload}
        emptyTitle="No route tables"
        empty="Create a route table to spread a service over cloud endpoints."
      >
        {(items) => (
          <table className="table" aria-label="Route tables">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Service</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Endpoints</th>
                <th scope="col">Auto failover</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{serviceName(t.service_id)}</td>
                  <td>{t.algorithm}</td>
                  <td>
                    {t.routes.map((r) => (
                      <div key={r.endpoint}>
                        <span className="badge badge-muted">{r.provider}</span> {r.region} · {r.endpoint}
                      </div>
                    ))}
                  </td>
                  <td>{t.enable_auto_failover ? 'on' : 'off'}</td>
                  <td>
                    <EnabledBadge enabled={t.enabled} />
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-expanded={openId === t.id}
                      onClick={() => setOpenId(openId === t.id ? null : t.id)}
                      aria-label={`${openId === t.id ? 'Hide' : 'Health & drill'} ${t.name}`}
                    >
                      {openId === t.id ? 'Hide' : 'Health & drill'}
                    </button>
                    {isAdmin && (
                      <RowActions
                        name={t.name}
                        enabled={t.enabled}
                        onEdit={() => setEditing(t)}
                        onToggle={() => act(() => (t.enabled ? mc.disableRouteTable(t.id) : mc.enableRouteTable(t.id)))}
                        onDelete={() =>
                          act(async () => {
                            if (!window.confirm(`Delete route table “${t.name}”?`)) return;
                            await mc.deleteRouteTable(t.id);
                            if (openId === t.id) setOpenId(null);
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
      {open && (
        <section className="card" aria-labelledby={`rt-detail-${open.id}`}>
          <h2 id={`rt-detail-${open.id}`}>Endpoints of “{open.name}”</h2>
          <EndpointHealthTable table={open} />
          {isAdmin && <FailoverDrill key={open.id} table={open} run={(req) => mc.testFailover(open.id, req)} />}
        </section>
      )}
      <CostAnalytics />
    </section>
  );
}

export default function MultiCloudRoutingPage() {
  return (
    <LicenseGate feature="multi_cloud_routing">
      <MultiCloudRouting />
    </LicenseGate>
  );
}
