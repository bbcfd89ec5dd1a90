import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { HEALTH_POLL_MS, useRouteHealth } from '../api/route-tables';
import type { RouteTable } from '../types';

/** Live health of a route table's endpoints, polled every few seconds. */
export function EndpointHealthTable({ table }: { table: RouteTable }) {
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
