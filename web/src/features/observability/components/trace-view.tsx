import { useState } from 'react';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { useTrace } from '../api/traces';
import type { Span } from '../types';
import { layoutWaterfall } from '../utils/layout';

export function TraceView({ traceId, onClose }: { traceId: string; onClose: () => void }) {
  const trace = useTrace(traceId);
  const [selected, setSelected] = useState<Span | null>(null);
  return (
    <section className="card" aria-labelledby="trace-title">
      <div className="page-head">
        <h2 id="trace-title">Trace {traceId}</h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close trace
        </button>
      </div>
      {trace.error && !trace.data ? (
        <ErrorState title="Could not load the trace" error={trace.error} onRetry={() => void trace.refetch()} />
      ) : trace.isPending || !trace.data ? (
        <Loading label="Loading trace…" />
      ) : trace.data.spans.length === 0 ? (
        <EmptyState title="This trace has no spans" />
      ) : (
        <>
          <ol className="waterfall" aria-label="Span waterfall" data-testid="waterfall">
            {layoutWaterfall(trace.data.spans).map(({ span, depth, offsetPct, widthPct }) => (
              <li key={span.span_id}>
                <button
                  type="button"
                  className={`wf-row ${selected?.span_id === span.span_id ? 'selected' : ''}`}
                  onClick={() => setSelected(span)}
                  aria-label={`${span.service} ${span.operation}, ${fmtNum(span.duration_ms)} ms`}
                >
                  <span className="wf-label" style={{ paddingLeft: `${depth * 14}px` }}>
                    {span.service} · {span.operation}
                  </span>
                  <span className="wf-track">
                    <span
                      className={`wf-bar ${span.status === 'error' ? 'error' : ''}`}
                      style={{ left: `${offsetPct}%`, width: `${widthPct}%` }}
                    />
                  </span>
                  <span className="wf-dur">{fmtNum(span.duration_ms)} ms</span>
                </button>
              </li>
            ))}
          </ol>
          {selected && (
            <div className="span-detail">
              <h3>
                {selected.service} · {selected.operation}
              </h3>
              <dl className="kv">
                <dt>Span ID</dt>
                <dd>{selected.span_id}</dd>
                <dt>Parent</dt>
                <dd>{selected.parent_span_id ?? '—'}</dd>
                <dt>Kind</dt>
                <dd>{selected.kind}</dd>
                <dt>Start</dt>
                <dd>{fmtTime(selected.start_time)}</dd>
                <dt>Duration</dt>
                <dd>{fmtNum(selected.duration_ms)} ms</dd>
                <dt>Status</dt>
                <dd>{selected.status}</dd>
                {Object.entries(selected.attributes ?? {}).map(([k, v]) => (
                  <div key={k} className="kv-pair">
                    <dt>{k}</dt>
                    <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                  </div>
                ))}
              </dl>
            </div>
          )}
        </>
      )}
    </section>
  );
}
