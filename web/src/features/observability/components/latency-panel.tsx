import { useState, type FormEvent } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { fmtNum } from '@/utils/format';
import { useLatencyHistogram } from '../api/traces';
import type { LatencyBucket } from '../types';

export const HOUR_CHOICES = [1, 6, 24];

function fmtBound(ms: number): string {
  return ms >= 1000 ? `${fmtNum(ms / 1000)} s` : `${fmtNum(ms)} ms`;
}

/** Chart rows: "≤ 5 ms" for a bounded bucket, "> 30 s" for the overflow one. */
export function bucketRows(buckets: LatencyBucket[]): { label: string; count: number }[] {
  let prev: number | null = null;
  return buckets.map((b) => {
    const label = b.le_ms === null ? (prev === null ? 'overflow' : `> ${fmtBound(prev)}`) : `≤ ${fmtBound(b.le_ms)}`;
    if (b.le_ms !== null) prev = b.le_ms;
    return { label, count: b.count };
  });
}

function fmtMs(v: number | null): string {
  return v === null ? '—' : `${fmtNum(v)} ms`;
}

export default function LatencyPanel() {
  const [serviceInput, setServiceInput] = useState('');
  const [service, setService] = useState('');
  const [hours, setHours] = useState(1);
  const lat = useLatencyHistogram({ service, hours });
  const h = lat.data;

  function apply(e: FormEvent) {
    e.preventDefault();
    setService(serviceInput.trim());
  }

  return (
    <section className="card" aria-labelledby="latency-title" data-testid="latency-panel">
      <div className="page-head">
        <h2 id="latency-title">Latency</h2>
        <form className="toolbar" onSubmit={apply} aria-label="Latency filters">
          <label htmlFor="lat-service">Service</label>
          <input
            id="lat-service"
            value={serviceInput}
            placeholder="All services"
            onChange={(e) => setServiceInput(e.target.value)}
          />
          <label htmlFor="lat-hours">Window</label>
          <select id="lat-hours" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {HOUR_CHOICES.map((n) => (
              <option key={n} value={n}>
                Last {n} {n === 1 ? 'hour' : 'hours'}
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-small">
            Apply
          </button>
        </form>
      </div>
      {lat.error && !h ? (
        <ErrorState title="Latency unavailable" error={lat.error} onRetry={() => void lat.refetch()} />
      ) : lat.isPending || !h ? (
        <Loading label="Loading latency…" />
      ) : h.count === 0 ? (
        <EmptyState title="No spans in this window">
          {service ? `No spans of “${service}” were recorded` : 'No spans were recorded'} in the last {hours}{' '}
          {hours === 1 ? 'hour' : 'hours'}.
        </EmptyState>
      ) : (
        <>
          <div className="grid" data-testid="latency-figures">
            {(
              [
                ['Spans', fmtNum(h.count)],
                ['p50', fmtMs(h.p50_ms)],
                ['p90', fmtMs(h.p90_ms)],
                ['p99', fmtMs(h.p99_ms)],
              ] as const
            ).map(([k, v]) => (
              <div className="stat" key={k}>
                <div className="stat-label">{k}</div>
                <div className="stat-value">{v}</div>
              </div>
            ))}
          </div>
          <div role="img" aria-label={`Latency histogram of ${fmtNum(h.count)} spans`}>
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={bucketRows(h.buckets)}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="label" fontSize={11} />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Bar dataKey="count" name="Spans" fill="#2563eb" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </>
      )}
    </section>
  );
}
