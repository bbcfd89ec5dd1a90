import { ErrorState, Loading } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { useTracingStats } from '../api/tracing-configs';

/** Export statistics of one tracing config (polled). */
export function TracingStatsPanel({ configId }: { configId: number }) {
  const stats = useTracingStats(configId);
  if (stats.error && !stats.data)
    return <ErrorState title="Statistics unavailable" error={stats.error} onRetry={() => void stats.refetch()} />;
  if (stats.isPending || !stats.data) return <Loading label="Loading statistics…" />;
  const s = stats.data;
  const items: [string, string][] = [
    ['Spans started', fmtNum(s.spans_started)],
    ['Sampled', fmtNum(s.spans_sampled)],
    ['Exported', fmtNum(s.spans_exported)],
    ['Dropped', fmtNum(s.spans_dropped)],
    ['Errored', fmtNum(s.spans_errored)],
    ['Avg span duration', s.avg_span_duration_ms === null ? '—' : `${fmtNum(s.avg_span_duration_ms)} ms`],
    ['Effective sampling rate', s.effective_sampling_rate === null ? '—' : fmtNum(s.effective_sampling_rate, 3)],
    ['Proxies reporting', fmtNum(s.proxies_reporting)],
  ];
  return (
    <div data-testid="tracing-stats">
      <div className="grid">
        {items.map(([k, v]) => (
          <div className="stat" key={k}>
            <div className="stat-label">{k}</div>
            <div className="stat-value">{v}</div>
          </div>
        ))}
      </div>
      <p className="muted">
        Last export {fmtTime(s.last_export_at)}
        {s.last_export_error ? ` · last export error: ${s.last_export_error}` : ''} · updated {fmtTime(s.updated_at)}
      </p>
    </div>
  );
}
