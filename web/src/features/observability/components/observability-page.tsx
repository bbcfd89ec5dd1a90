import { useState } from 'react';
import LicenseGate, { UpgradePrompt } from '@/components/license/license-gate';
import { EntitySelect } from '@/components/ui/entity-select';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import { AsyncList, ErrorState, InlineError, Loading } from '@/components/ui/states';
import { fmtNum, fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useClusters } from '@/features/clusters/api/clusters';
import {
  useTestConnection,
  useTracingConfigMutations,
  useTracingConfigs,
  useTracingStats,
} from '../api/tracing-configs';
import { LicenseError } from '@/lib/errors';
import type { TracingConfig, TracingTestResult } from '../types';
import LatencyPanel from './latency-panel';
import TracingConfigForm from './tracing-config-form';
import { DependencyGraphView } from './dependency-graph';
import { SpanSearch } from './span-search';
import { TraceView } from './trace-view';
import { EMPTY_TRACING, tracingToForm } from '../utils/tracing-form';

function TracingStatsPanel({ configId }: { configId: number }) {
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

function TestResult({ result }: { result: TracingTestResult }) {
  return (
    <div
      className={`result ${result.success ? 'result-ok' : 'result-bad'}`}
      role="status"
      data-testid="tracing-test-result"
    >
      <strong>{result.success ? 'Connection succeeded' : 'Connection failed'}</strong>
      <dl className="kv">
        <dt>Latency</dt>
        <dd>{fmtNum(result.latency_ms)} ms</dd>
        <dt>Backend / exporter</dt>
        <dd>
          {result.backend} / {result.exporter}
        </dd>
        <dt>Endpoint</dt>
        <dd>{result.endpoint}</dd>
        <dt>Test trace ID</dt>
        <dd>{result.trace_id}</dd>
        {result.error && (
          <>
            <dt>Error</dt>
            <dd className="text-error">{result.error}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

export function Observability() {
  const [clusterFilter, setClusterFilter] = useState('');
  const list = useTracingConfigs(clusterFilter ? { cluster_id: Number(clusterFilter) } : {});
  const m = useTracingConfigMutations();
  const connectionTest = useTestConnection();
  const obs = {
    configs: list.data?.items ?? [],
    total: list.data?.total ?? 0,
    loaded: list.data !== undefined,
    error: list.error,
    reload: () => void list.refetch(),
    createConfig: m.create,
    updateConfig: m.update,
    deleteConfig: m.remove,
    enableConfig: m.enable,
    disableConfig: m.disable,
    testConnection: connectionTest.mutateAsync,
  };
  const clusters = useClusters();
  const { isAdmin } = useAuth();
  const [editing, setEditing] = useState<TracingConfig | 'new' | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [tests, setTests] = useState<Record<number, TracingTestResult>>({});
  const [testing, setTesting] = useState<number | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [traceId, setTraceId] = useState<string | null>(null);

  if (obs.error instanceof LicenseError)
    return (
      <UpgradePrompt feature="distributed_tracing" message={obs.error.message} upgradeUrl={obs.error.upgradeUrl} />
    );

  const clusterName = (id: number) => clusters.data?.items.find((c) => c.id === id)?.name ?? `#${id}`;
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e);
    }
  };
  const runTest = (id: number) =>
    act(async () => {
      setTesting(id);
      try {
        const r = await obs.testConnection(id);
        setTests((t) => ({ ...t, [id]: r }));
        setOpenId(id);
      } finally {
        setTesting(null);
      }
    });
  const open = obs.configs.find((c) => c.id === openId) ?? null;

  return (
    <section aria-labelledby="obs-title">
      <div className="page-head">
        <h1 id="obs-title">Observability</h1>
        {isAdmin && editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            New tracing config
          </button>
        )}
      </div>
      {editing !== null && (
        <TracingConfigForm
          key={editing === 'new' ? 'new' : editing.id}
          title={editing === 'new' ? 'New tracing config' : `Edit tracing config “${editing.name}”`}
          submitLabel={editing === 'new' ? 'Create tracing config' : 'Save changes'}
          initial={editing === 'new' ? EMPTY_TRACING : tracingToForm(editing)}
          clusters={clusters.data?.items ?? []}
          onCancel={() => setEditing(null)}
          onSubmit={async (input) => {
            if (editing === 'new') {
              const c = await obs.createConfig(input);
              setOpenId(c.id);
            } else {
              await obs.updateConfig(editing.id, input);
            }
            setEditing(null);
          }}
        />
      )}
      <InlineError error={actionError} />
      <h2>Tracing configurations</h2>
      <div className="toolbar">
        <label htmlFor="tr-filter">Filter by cluster</label>
        <EntitySelect
          id="tr-filter"
          value={clusterFilter}
          onChange={setClusterFilter}
          placeholder="All clusters"
          options={clusters.data?.items ?? []}
        />
        {obs.loaded && obs.total > obs.configs.length && (
          <span className="muted">
            Showing {obs.configs.length} of {obs.total}
          </span>
        )}
      </div>
      <AsyncList
        items={obs.loaded ? obs.configs : undefined}
        error={obs.error}
        onRetry={obs.reload}
        emptyTitle="No tracing configs"
        empty="Create one to export spans to Jaeger, Zipkin or an OTLP collector."
      >
        {(items) => (
          <table className="table" aria-label="Tracing configs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Cluster</th>
                <th scope="col">Backend</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Sampling</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{clusterName(c.cluster_id)}</td>
                  <td>
                    {c.backend} / {c.exporter}
                  </td>
                  <td>{c.endpoint}</td>
                  <td>
                    {c.sampling_strategy}
                    {c.sampling_strategy === 'probabilistic' || c.sampling_strategy === 'adaptive'
                      ? ` (${c.sampling_rate})`
                      : ''}
                    {c.max_traces_per_second ? ` · ${c.max_traces_per_second}/s` : ''}
                  </td>
                  <td>
                    <EnabledBadge enabled={c.enabled} />
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-expanded={openId === c.id}
                      onClick={() => setOpenId(openId === c.id ? null : c.id)}
                      aria-label={`${openId === c.id ? 'Hide stats' : 'Stats'} ${c.name}`}
                    >
                      {openId === c.id ? 'Hide stats' : 'Stats'}
                    </button>
                    {isAdmin && (
                      <>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={testing === c.id}
                          onClick={() => runTest(c.id)}
                          aria-label={`${testing === c.id ? 'Testing…' : 'Test connection'} ${c.name}`}
                        >
                          {testing === c.id ? 'Testing…' : 'Test connection'}
                        </button>
                        <RowActions
                          name={c.name}
                          enabled={c.enabled}
                          onEdit={() => setEditing(c)}
                          onToggle={() => act(() => (c.enabled ? obs.disableConfig(c.id) : obs.enableConfig(c.id)))}
                          onDelete={() =>
                            act(async () => {
                              if (!window.confirm(`Delete tracing config “${c.name}”?`)) return;
                              await obs.deleteConfig(c.id);
                              if (openId === c.id) setOpenId(null);
                            })
                          }
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </AsyncList>
      {open && (
        <section className="card" aria-labelledby={`tr-detail-${open.id}`}>
          <h2 id={`tr-detail-${open.id}`}>“{open.name}”</h2>
          {tests[open.id] && <TestResult result={tests[open.id]} />}
          <TracingStatsPanel configId={open.id} />
        </section>
      )}
      <LatencyPanel />
      <SpanSearch onOpenTrace={setTraceId} />
      {traceId && <TraceView key={traceId} traceId={traceId} onClose={() => setTraceId(null)} />}
      <DependencyGraphView />
    </section>
  );
}

export default function ObservabilityPage() {
  return (
    <LicenseGate feature="distributed_tracing">
      <Observability />
    </LicenseGate>
  );
}
