import { Link } from 'react-router-dom';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useClusters } from '@/features/clusters/api/clusters';
import { healthApi } from '@/features/dashboard/api/health';
import { routeTablesApi } from '@/features/multi-cloud/api/route-tables';
import { tracingConfigsApi } from '@/features/observability/api/tracing-configs';
import { useProxies } from '@/features/proxies/api/proxies';
import { useServices } from '@/features/services/api/services';
import { qosPoliciesApi } from '@/features/traffic-shaping/api/qos-policies';
import { useLicense, type Feature } from '@/lib/license';
import { useResource } from '@/lib/use-resource';
import { errorMessage } from '@/lib/errors';
import { fmtTime } from '@/utils/format';

function Stat({ label, value, to, testId }: { label: string; value: React.ReactNode; to?: string; testId?: string }) {
  return (
    <div className="stat card" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{to ? <Link to={to}>{value}</Link> : value}</div>
    </div>
  );
}

function countOf(r: { data?: { total: number }; error: Error | null; loading: boolean }) {
  if (r.error) return <span className="text-error">error</span>;
  if (r.loading || !r.data) return '…';
  return r.data.total;
}

function EnterpriseCount({ feature, label, to }: { feature: Feature; label: string; to: string }) {
  const fetcher: () => Promise<{ total: number }> = {
    traffic_shaping: () => qosPoliciesApi.list({ limit: 1 }),
    multi_cloud_routing: () => routeTablesApi.list({ limit: 1 }),
    distributed_tracing: () => tracingConfigsApi.list({ limit: 1 }),
  }[feature];
  const r = useResource<{ total: number }>(`dash:${feature}`, fetcher, 15_000);
  return <Stat label={label} value={countOf(r)} to={to} />;
}

export default function Dashboard() {
  const health = useResource('healthz', healthApi.health, 10_000);
  const ready = useResource('readyz', healthApi.ready, 10_000);
  const license = useLicense();
  const clusters = useClusters();
  const services = useServices();
  const proxies = useProxies();

  if (health.loading && ready.loading) return <Loading />;

  const online = proxies.data?.items.filter((p) => p.status === 'online').length ?? 0;
  const features = license.status?.features ?? [];

  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <div className="grid">
        <Stat
          label="Control plane"
          testId="stat-health"
          value={
            health.error ? (
              <span className="text-error" title={errorMessage(health.error)}>
                down
              </span>
            ) : (
              <span className={health.data?.status === 'ok' ? 'text-ok' : ''}>{health.data?.status ?? '…'}</span>
            )
          }
        />
        <Stat
          label="Database"
          testId="stat-ready"
          value={
            ready.error ? (
              <span className="text-error" title={errorMessage(ready.error)}>
                not ready
              </span>
            ) : ready.data ? (
              <span className={ready.data.status === 'ready' ? 'text-ok' : ''}>
                {ready.data.status} ({ready.data.database})
              </span>
            ) : (
              '…'
            )
          }
        />
        <Stat
          label="License tier"
          testId="stat-license"
          to="/license"
          value={license.status ? license.status.tier : license.error ? 'unknown' : '…'}
        />
        <Stat label="Clusters" value={countOf(clusters)} to="/clusters" />
        <Stat label="Services" value={countOf(services)} to="/services" />
        <Stat
          label="Proxies online"
          to="/proxies"
          value={proxies.data ? `${online} / ${proxies.data.total}` : countOf(proxies)}
        />
        {features.includes('traffic_shaping') && (
          <EnterpriseCount feature="traffic_shaping" label="QoS policies" to="/traffic-shaping" />
        )}
        {features.includes('multi_cloud_routing') && (
          <EnterpriseCount feature="multi_cloud_routing" label="Route tables" to="/multi-cloud" />
        )}
        {features.includes('distributed_tracing') && (
          <EnterpriseCount feature="distributed_tracing" label="Tracing configs" to="/observability" />
        )}
      </div>
      {license.status?.message && <p className="muted">License: {license.status.message}</p>}
      <h2>Proxies</h2>
      {proxies.error && !proxies.data ? (
        <ErrorState title="Could not list proxies" error={proxies.error} onRetry={proxies.reload} />
      ) : !proxies.data ? (
        <Loading label="Loading proxies…" />
      ) : proxies.data.items.length === 0 ? (
        <EmptyState title="No proxies registered">Start a proxy with a cluster API key to see it here.</EmptyState>
      ) : (
        <table className="table" aria-label="Proxy status">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Address</th>
              <th scope="col">Config version</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {proxies.data.items.slice(0, 10).map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>
                  <span className={`badge ${p.status === 'online' ? 'badge-ok' : 'badge-bad'}`}>{p.status}</span>
                </td>
                <td>{p.address}</td>
                <td>{p.config_version ?? '—'}</td>
                <td>{fmtTime(p.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {health.error && <ErrorState title="Health check failed" error={health.error} onRetry={health.reload} />}
      {clusters.data && clusters.data.total === 0 && (
        <EmptyState title="No clusters yet">
          Start by <Link to="/clusters">creating a cluster</Link>, then add services and register proxies.
        </EmptyState>
      )}
    </section>
  );
}
