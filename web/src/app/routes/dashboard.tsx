import { Link } from 'react-router-dom';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useClusters } from '@/features/clusters/api/clusters';
import { useHealth, useReadiness } from '@/features/dashboard/api/health';
import { countOf, Stat } from '@/features/dashboard/components/stat';
import { useRouteTables } from '@/features/multi-cloud/api/route-tables';
import { useTracingConfigs } from '@/features/observability/api/tracing-configs';
import { useProxies } from '@/features/proxies/api/proxies';
import { ProxyStatus } from '@/features/proxies/components/proxy-status';
import { useServices } from '@/features/services/api/services';
import { useQosPolicies } from '@/features/traffic-shaping/api/qos-policies';
import { errorMessage } from '@/lib/errors';
import { useLicense } from '@/lib/license';
import { fmtTime } from '@/utils/format';

// Counts of the Enterprise resources, shown only when the license includes the feature (so that a
// Community console never calls those APIs).
const ENTERPRISE_POLL_MS = 15_000;

function QosPolicyCount() {
  return (
    <Stat
      label="QoS policies"
      value={countOf(useQosPolicies({ limit: 1 }, ENTERPRISE_POLL_MS))}
      to="/traffic-shaping"
    />
  );
}

function RouteTableCount() {
  return (
    <Stat label="Route tables" value={countOf(useRouteTables({ limit: 1 }, ENTERPRISE_POLL_MS))} to="/multi-cloud" />
  );
}

function TracingConfigCount() {
  return (
    <Stat
      label="Tracing configs"
      value={countOf(useTracingConfigs({ limit: 1 }, ENTERPRISE_POLL_MS))}
      to="/observability"
    />
  );
}

export default function Dashboard() {
  const health = useHealth();
  const ready = useReadiness();
  const license = useLicense();
  const clusters = useClusters();
  const services = useServices();
  const proxies = useProxies();

  if (health.isPending && ready.isPending) return <Loading />;

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
        {features.includes('traffic_shaping') && <QosPolicyCount />}
        {features.includes('multi_cloud_routing') && <RouteTableCount />}
        {features.includes('distributed_tracing') && <TracingConfigCount />}
      </div>
      {license.status?.message && <p className="muted">License: {license.status.message}</p>}
      <h2>Proxies</h2>
      {proxies.error && !proxies.data ? (
        <ErrorState title="Could not list proxies" error={proxies.error} onRetry={() => void proxies.refetch()} />
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
                  <ProxyStatus status={p.status} />
                </td>
                <td>{p.address}</td>
                <td>{p.config_version ?? '—'}</td>
                <td>{fmtTime(p.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {health.error && (
        <ErrorState title="Health check failed" error={health.error} onRetry={() => void health.refetch()} />
      )}
      {clusters.data && clusters.data.total === 0 && (
        <EmptyState title="No clusters yet">
          Start by <Link to="/clusters">creating a cluster</Link>, then add services and register proxies.
        </EmptyState>
      )}
    </section>
  );
}
