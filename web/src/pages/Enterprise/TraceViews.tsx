import { useState, type FormEvent } from 'react';
import { Field } from '../../components/Common/Field';
import { EmptyState, ErrorState, Loading } from '../../components/Common/States';
import { fmtNum, fmtTime } from '../../components/Common/format';
import { useDependencies, useSpanSearch, useTrace } from '../../hooks/useObservability';
import type { DependencyGraph, Span, SpanSearchParams } from '../../services/types';

interface SearchForm {
  service: string;
  operation: string;
  tags: string;
  has_error: '' | 'true' | 'false';
  min_duration_ms: string;
  max_duration_ms: string;
  trace_id: string;
  lookback_minutes: string;
  limit: string;
}

const EMPTY_SEARCH: SearchForm = {
  service: '',
  operation: '',
  tags: '',
  has_error: '',
  min_duration_ms: '',
  max_duration_ms: '',
  trace_id: '',
  lookback_minutes: '60',
  limit: '50',
};

export function validateSearch(f: SearchForm): Record<string, string> {
  const e: Record<string, string> = {};
  for (const k of ['min_duration_ms', 'max_duration_ms'] as const) {
    if (f[k] !== '' && !(Number(f[k]) >= 0)) e[k] = 'must be a number ≥ 0';
  }
  if (
    !e.min_duration_ms &&
    !e.max_duration_ms &&
    f.min_duration_ms !== '' &&
    f.max_duration_ms !== '' &&
    Number(f.min_duration_ms) > Number(f.max_duration_ms)
  )
    e.max_duration_ms = 'must be ≥ the minimum';
  if (f.tags.trim() && !f.tags.split(',').every((t) => /^[^:,]+:.+$/.test(t.trim())))
    e.tags = 'use key:value pairs separated by commas';
  if (f.trace_id.trim() && !/^[0-9a-f]{32}$/i.test(f.trace_id.trim())) e.trace_id = 'must be 32 hex characters';
  const lim = Number(f.limit);
  if (!Number.isInteger(lim) || lim < 1 || lim > 1000) e.limit = 'must be between 1 and 1000';
  if (f.lookback_minutes !== '' && !(Number(f.lookback_minutes) > 0)) e.lookback_minutes = 'must be > 0';
  return e;
}

export function searchParams(f: SearchForm, now = Date.now()): SpanSearchParams {
  const p: SpanSearchParams = { limit: Number(f.limit), skip: 0 };
  if (f.service.trim()) p.service = f.service.trim();
  if (f.operation.trim()) p.operation = f.operation.trim();
  if (f.tags.trim())
    p.tags = f.tags
      .split(',')
      .map((t) => t.trim())
      .join(',');
  if (f.has_error) p.has_error = f.has_error === 'true';
  if (f.min_duration_ms !== '') p.min_duration_ms = Number(f.min_duration_ms);
  if (f.max_duration_ms !== '') p.max_duration_ms = Number(f.max_duration_ms);
  if (f.trace_id.trim()) p.trace_id = f.trace_id.trim();
  if (f.lookback_minutes !== '') {
    p.start = new Date(now - Number(f.lookback_minutes) * 60_000).toISOString();
    p.end = new Date(now).toISOString();
  }
  return p;
}

/** Where a span came from: `local` (the built-in store) or `jaeger:<config>` / `zipkin:<config>`. */
export function SourceBadge({ source }: { source: string | undefined }) {
  const src = source || 'local';
  const [kind, ...rest] = src.split(':');
  const name = rest.join(':');
  const cls =
    kind === 'local'
      ? 'badge-muted'
      : `badge-source badge-source-${kind === 'jaeger' || kind === 'zipkin' ? kind : 'other'}`;
  const title = kind === 'local' ? 'Built-in span store' : name ? `${kind} backend of tracing config “${name}”` : src;
  return (
    <span className={`badge ${cls}`} title={title} data-testid="span-source">
      {src}
    </span>
  );
}

/** Backends that could not be queried: the results may be incomplete, so say so. */
export function BackendErrors({ errors }: { errors: { source: string; error: string }[] }) {
  if (errors.length === 0) return null;
  return (
    <div className="warning" role="alert" data-testid="span-backend-errors">
      <strong>
        {errors.length === 1 ? 'A tracing backend' : `${errors.length} tracing backends`} could not be queried; results
        may be incomplete.
      </strong>
      <ul>
        {errors.map((e, i) => (
          <li key={`${e.source}-${i}`}>
            <span className="badge badge-bad">{e.source}</span> {e.error}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function SpanSearch({ onOpenTrace }: { onOpenTrace: (traceId: string) => void }) {
  const [f, setF] = useState<SearchForm>(EMPTY_SEARCH);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const { result, error, loading, search } = useSpanSearch();
  const set = <K extends keyof SearchForm>(k: K, v: SearchForm[K]) => setF((x) => ({ ...x, [k]: v }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const v = validateSearch(f);
    setErrors(v);
    if (Object.keys(v).length) return;
    void search(searchParams(f));
  }

  return (
    <section className="card" aria-labelledby="span-search-title">
      <h2 id="span-search-title">Span search</h2>
      <form className="form" onSubmit={submit} aria-label="Span search" noValidate>
        <div className="form-row">
          <Field id="ss-service" label="Service" error={errors.service}>
            <input value={f.service} onChange={(e) => set('service', e.target.value)} />
          </Field>
          <Field id="ss-operation" label="Operation" error={errors.operation}>
            <input value={f.operation} onChange={(e) => set('operation', e.target.value)} />
          </Field>
          <Field id="ss-tags" label="Tags" error={errors.tags} hint="k:v,k2:v2">
            <input value={f.tags} onChange={(e) => set('tags', e.target.value)} />
          </Field>
          <Field id="ss-error" label="Status">
            <select value={f.has_error} onChange={(e) => set('has_error', e.target.value as SearchForm['has_error'])}>
              <option value="">Any</option>
              <option value="true">Errors only</option>
              <option value="false">Without errors</option>
            </select>
          </Field>
        </div>
        <div className="form-row">
          <Field id="ss-min" label="Min duration (ms)" error={errors.min_duration_ms}>
            <input
              inputMode="decimal"
              value={f.min_duration_ms}
              onChange={(e) => set('min_duration_ms', e.target.value)}
            />
          </Field>
          <Field id="ss-max" label="Max duration (ms)" error={errors.max_duration_ms}>
            <input
              inputMode="decimal"
              value={f.max_duration_ms}
              onChange={(e) => set('max_duration_ms', e.target.value)}
            />
          </Field>
          <Field id="ss-lookback" label="Lookback (minutes)" error={errors.lookback_minutes} hint="Empty = all time">
            <input
              inputMode="numeric"
              value={f.lookback_minutes}
              onChange={(e) => set('lookback_minutes', e.target.value)}
            />
          </Field>
          <Field id="ss-trace" label="Trace ID" error={errors.trace_id}>
            <input value={f.trace_id} onChange={(e) => set('trace_id', e.target.value)} />
          </Field>
          <Field id="ss-limit" label="Limit" error={errors.limit}>
            <input inputMode="numeric" value={f.limit} onChange={(e) => set('limit', e.target.value)} />
          </Field>
        </div>
        <button type="submit" className="btn btn-primary" disabled={loading}>
          {loading ? 'Searching…' : 'Search spans'}
        </button>
      </form>
      {error && <ErrorState title="Span search failed" error={error} />}
      {result && (
        <>
          <BackendErrors errors={result.errors ?? []} />
          {result.spans.length === 0 ? (
            <EmptyState title="No spans match" />
          ) : (
            <table className="table" aria-label="Spans" data-testid="span-results">
              <caption>
                {result.spans.length} of {result.total} spans
              </caption>
              <thead>
                <tr>
                  <th scope="col">Start</th>
                  <th scope="col">Service</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Status</th>
                  <th scope="col">Source</th>
                  <th scope="col">Trace</th>
                </tr>
              </thead>
              <tbody>
                {result.spans.map((s) => (
                  <tr key={`${s.trace_id}/${s.span_id}`}>
                    <td>{fmtTime(s.start_time)}</td>
                    <td>{s.service}</td>
                    <td>{s.operation}</td>
                    <td>{s.kind}</td>
                    <td>{fmtNum(s.duration_ms)} ms</td>
                    <td>
                      <span className={`badge ${s.status === 'error' ? 'badge-bad' : 'badge-ok'}`}>{s.status}</span>
                    </td>
                    <td>
                      <SourceBadge source={s.source} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small link"
                        onClick={() => onOpenTrace(s.trace_id)}
                        aria-label={`Open trace ${s.trace_id}`}
                      >
                        {s.trace_id.slice(0, 16)}…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

/** Spans ordered depth-first from the roots, with their depth. */
export function layoutWaterfall(spans: Span[]): { span: Span; depth: number; offsetPct: number; widthPct: number }[] {
  if (spans.length === 0) return [];
  const starts = spans.map((s) => new Date(s.start_time).getTime());
  const t0 = Math.min(...starts);
  const t1 = Math.max(...spans.map((s, i) => starts[i] + s.duration_ms));
  const total = Math.max(t1 - t0, 1);
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id)) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a: Span, b: Span) => new Date(a.start_time).getTime() - new Date(b.start_time).getTime();
  const out: { span: Span; depth: number; offsetPct: number; widthPct: number }[] = [];
  const seen = new Set<string>();
  const walk = (s: Span, depth: number) => {
    if (seen.has(s.span_id)) return;
    seen.add(s.span_id);
    const start = new Date(s.start_time).getTime();
    out.push({
      span: s,
      depth,
      offsetPct: ((start - t0) / total) * 100,
      widthPct: Math.max((s.duration_ms / total) * 100, 0.5),
    });
    (children.get(s.span_id) ?? []).sort(byStart).forEach((c) => walk(c, depth + 1));
  };
  roots.sort(byStart).forEach((r) => walk(r, 0));
  return out;
}

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
        <ErrorState title="Could not load the trace" error={trace.error} onRetry={trace.reload} />
      ) : trace.loading || !trace.data ? (
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

/** Place services in columns by their depth from the callers (roots). */
export function layoutGraph(g: DependencyGraph): {
  pos: Map<string, { x: number; y: number }>;
  width: number;
  height: number;
} {
  const names = Array.from(new Set([...g.nodes.map((n) => n.service), ...g.edges.flatMap((e) => [e.parent, e.child])]));
  const depth = new Map<string, number>();
  const incoming = new Set(g.edges.filter((e) => e.parent !== e.child).map((e) => e.child));
  const queue = names.filter((n) => !incoming.has(n));
  if (queue.length === 0 && names.length) queue.push(names[0]);
  queue.forEach((n) => depth.set(n, 0));
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const e of g.edges) {
      if (e.parent === n && !depth.has(e.child)) {
        depth.set(e.child, (depth.get(n) ?? 0) + 1);
        queue.push(e.child);
      }
    }
  }
  names.forEach((n) => {
    if (!depth.has(n)) depth.set(n, 0);
  });
  const cols = new Map<number, string[]>();
  names.forEach((n) => {
    const d = depth.get(n) ?? 0;
    cols.set(d, [...(cols.get(d) ?? []), n]);
  });
  const colW = 200;
  const rowH = 70;
  const pos = new Map<string, { x: number; y: number }>();
  let maxRows = 1;
  cols.forEach((list, d) => {
    maxRows = Math.max(maxRows, list.length);
    list.forEach((n, i) => pos.set(n, { x: 90 + d * colW, y: 40 + i * rowH }));
  });
  return { pos, width: 180 + Math.max(...Array.from(cols.keys()), 0) * colW, height: 40 + maxRows * rowH };
}

export function DependencyGraphView() {
  const deps = useDependencies();
  return (
    <section className="card" aria-labelledby="deps-title">
      <div className="page-head">
        <h2 id="deps-title">Service dependencies</h2>
        <button type="button" className="btn btn-small" onClick={deps.reload}>
          Refresh
        </button>
      </div>
      {deps.error && !deps.data ? (
        <ErrorState title="Could not load dependencies" error={deps.error} onRetry={deps.reload} />
      ) : deps.loading || !deps.data ? (
        <Loading />
      ) : deps.data.nodes.length === 0 && deps.data.edges.length === 0 ? (
        <EmptyState title="No dependencies recorded">
          Dependencies appear once traced traffic flows between services.
        </EmptyState>
      ) : (
        <DependencyGraphSvg graph={deps.data} />
      )}
    </section>
  );
}

function DependencyGraphSvg({ graph }: { graph: DependencyGraph }) {
  const { pos, width, height } = layoutGraph(graph);
  return (
    <>
      <svg
        className="dep-graph"
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        role="img"
        aria-label="Service dependency graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const a = pos.get(e.parent);
          const b = pos.get(e.child);
          if (!a || !b) return null;
          return (
            <g key={`${e.parent}->${e.child}`}>
              <line
                x1={a.x + 70}
                y1={a.y}
                x2={b.x - 70}
                y2={b.y}
                stroke={e.error_count > 0 ? '#dc2626' : '#64748b'}
                markerEnd="url(#arrow)"
              />
              <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6} textAnchor="middle" fontSize="11" fill="#334155">
                {e.call_count}
                {e.error_count > 0 ? ` (${e.error_count} err)` : ''}
              </text>
            </g>
          );
        })}
        {Array.from(pos.entries()).map(([name, p]) => (
          <g key={name}>
            <rect x={p.x - 70} y={p.y - 16} width="140" height="32" rx="6" fill="#eff6ff" stroke="#2563eb" />
            <text x={p.x} y={p.y + 4} textAnchor="middle" fontSize="12" fill="#1e3a8a">
              {name.length > 20 ? `${name.slice(0, 19)}…` : name}
            </text>
          </g>
        ))}
      </svg>
      <table className="table" aria-label="Dependency edges">
        <thead>
          <tr>
            <th scope="col">Caller</th>
            <th scope="col">Callee</th>
            <th scope="col">Calls</th>
            <th scope="col">Errors</th>
          </tr>
        </thead>
        <tbody>
          {graph.edges.map((e) => (
            <tr key={`${e.parent}->${e.child}`}>
              <td>{e.parent}</td>
              <td>{e.child}</td>
              <td>{fmtNum(e.call_count)}</td>
              <td>{fmtNum(e.error_count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
