import { useState, type FormEvent } from 'react';
import { Field } from '@/components/ui/field';
import { EmptyState, ErrorState } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { useSpanSearch } from '../api/traces';
import { EMPTY_SEARCH, searchParams, validateSearch, type SearchForm } from '../utils/span-search';

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
