import { ErrorState, Loading } from '@/components/ui/states';
import { fmtBytes, fmtNum, fmtTime } from '@/utils/format';
import { usePolicyStats } from '../api/qos-policies';
import type { BandwidthScope } from '../types';
import { PRIORITIES, scopeLabel } from '../utils/qos-form';

/**
 * Live statistics of one policy (polled): rate, bytes, SLA violations, the delay per class and, for a
 * cluster-scope policy, each proxy's current share of the limits. `scope` is the policy's (unknown: not shown).
 */
export function PolicyStats({ policyId, scope }: { policyId: number; scope?: BandwidthScope }) {
  const stats = usePolicyStats(policyId);
  if (stats.error && !stats.data)
    return <ErrorState title="Statistics unavailable" error={stats.error} onRetry={() => void stats.refetch()} />;
  if (stats.isPending || !stats.data) return <Loading label="Loading statistics…" />;
  const s = stats.data;
  // The server always lists P0–P3 (zeros until measured): show the table once a proxy has reported.
  const classes = PRIORITIES.filter((p) => s.delay_ms?.[p]);
  const reporting = s.proxies_reporting ?? 0;
  const shares = s.cluster_shares ?? [];
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
        {scope && (
          <div className="stat">
            <div className="stat-label">Limit scope</div>
            <div className="stat-value">{scopeLabel(scope)}</div>
          </div>
        )}
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
      {shares.length > 0 && (
        <table className="table">
          <caption>Shares by proxy</caption>
          <thead>
            <tr>
              <th scope="col">Proxy</th>
              <th scope="col">Direction</th>
              <th scope="col">Share (Mbps)</th>
            </tr>
          </thead>
          <tbody>
            {shares.map((r) => (
              <tr key={`${r.proxy_id}-${r.direction}`}>
                <td>{r.proxy_id}</td>
                <td>{r.direction}</td>
                <td>{r.rate_mbps.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">Updated {fmtTime(s.updated_at)} · refreshes every 5 s</p>
    </div>
  );
}
