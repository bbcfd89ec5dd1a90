import { useState } from 'react';
import { Checkbox, Field } from '@/components/ui/field';
import { InlineError } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { isDrill, useFailoverDrill, useRecentDrills, useTestFailover } from '../api/route-tables';
import type { FailoverResult, RouteTable } from '../types';

/** Take one endpoint out of rotation (or only compute where traffic would go, in a dry run).
 * A live drill starts at once; its record is polled until it ends. The table's latest live
 * drills (this console's and others') are listed below. */
export function FailoverDrill({ table }: { table: RouteTable }) {
  const drill = useTestFailover();
  const [endpoint, setEndpoint] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [duration, setDuration] = useState('10');
  const started = drill.data && isDrill(drill.data) ? drill.data : null;
  const record = useFailoverDrill(table.id, started?.id ?? null);
  const live = record.data ?? started;
  const running = live?.status === 'running';
  const busy = drill.isPending || running;
  const result: FailoverResult | null = drill.data && !isDrill(drill.data) ? drill.data : (live?.result ?? null);
  const error = drill.error ?? record.error;
  const recent = useRecentDrills(table.id, `${live?.id ?? ''}:${live?.status ?? ''}`);
  const [durationError, setDurationError] = useState<string | undefined>();

  function go() {
    const d = Number(duration);
    if (!dryRun && (!Number.isInteger(d) || d < 1 || d > 300)) {
      setDurationError('must be between 1 and 300');
      return;
    }
    setDurationError(undefined);
    drill.mutate({
      id: table.id,
      request: { endpoint: endpoint || undefined, dry_run: dryRun, duration_seconds: dryRun ? undefined : d },
    });
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
      {live && live.status !== 'finished' && (
        <p role="status" data-testid="failover-progress">
          {live.status === 'running'
            ? `${live.endpoint} is out of rotation until ${new Date(live.ends_at).toLocaleTimeString()}; the result follows when the drill ends.`
            : live.status === 'failed'
              ? `The drill failed: ${live.error ?? 'unknown error'}. ${live.endpoint} returned to rotation.`
              : `The drill was lost (the control plane running it stopped); ${live.endpoint} returned to rotation at ${new Date(live.ends_at).toLocaleTimeString()}.`}
        </p>
      )}
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
      {recent.data && recent.data.length > 0 && (
        <table className="table" aria-label="Recent live drills" data-testid="recent-drills">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Endpoint removed</th>
              <th scope="col">Duration</th>
              <th scope="col">Status</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {recent.data.map((d) => (
              <tr key={d.id} data-testid="recent-drill">
                <td>{fmtTime(d.started_at)}</td>
                <td>{d.endpoint}</td>
                <td>{d.duration_seconds} s</td>
                <td>{d.status}</td>
                <td>{d.result?.message ?? d.error ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
