import { useOwnerFilter } from '@/components/resource-page/owner-filter';
import { useState } from 'react';
import { DetailToggle, ResourcePage, type Column } from '@/components/resource-page/resource-page';
import { EnabledBadge, RowActions } from '@/components/ui/row-actions';
import type { Cluster } from '@/lib/api-types';
import { useAuth } from '@/lib/auth';
import { listState } from '@/lib/crud';
import { useTestConnection, useTracingConfigMutations, useTracingConfigs } from '../api/tracing-configs';
import type { TracingConfig, TracingTestResult } from '../types';
import { EMPTY_TRACING, tracingToForm } from '../utils/tracing-form';
import { ConnectionTestResult } from './connection-test-result';
import { DependencyGraphView } from './dependency-graph';
import LatencyPanel from './latency-panel';
import { SpanSearch } from './span-search';
import { TraceView } from './trace-view';
import TracingConfigForm from './tracing-config-form';
import { TracingStatsPanel } from './tracing-stats-panel';

function columns(clusterName: (id: number) => string): Column<TracingConfig>[] {
  return [
    { header: 'Name', cell: (c) => c.name },
    { header: 'Cluster', cell: (c) => clusterName(c.cluster_id) },
    {
      header: 'Backend',
      cell: (c) => (
        <>
          {c.backend} / {c.exporter}
        </>
      ),
    },
    { header: 'Endpoint', cell: (c) => c.endpoint },
    {
      header: 'Sampling',
      cell: (c) => (
        <>
          {c.sampling_strategy}
          {c.sampling_strategy === 'probabilistic' || c.sampling_strategy === 'adaptive' ? ` (${c.sampling_rate})` : ''}
          {c.max_traces_per_second ? ` · ${c.max_traces_per_second}/s` : ''}
        </>
      ),
    },
    { header: 'Status', cell: (c) => <EnabledBadge enabled={c.enabled} /> },
  ];
}

/**
 * Tracing configs: list (filtered by cluster), create/edit, connection test, enable/disable, delete; the
 * detail of one config shows its last test and export statistics. Below: latency, span search, the trace
 * of a span, and the service dependency graph. `clusters` (undefined while loading) names the clusters and
 * feeds the form and filter.
 */
export function ObservabilityPage({ clusters }: { clusters: Cluster[] | undefined }) {
  const byCluster = useOwnerFilter(clusters, {
    id: 'tr-filter',
    label: 'Filter by cluster',
    placeholder: 'All clusters',
  });
  const list = useTracingConfigs(byCluster.selected ? { cluster_id: byCluster.selected } : {});
  const configs = useTracingConfigMutations();
  const connectionTest = useTestConnection();
  const { isAdmin } = useAuth();
  const [tests, setTests] = useState<Record<number, TracingTestResult>>({});
  const [traceId, setTraceId] = useState<string | null>(null);
  const testing = connectionTest.isPending ? connectionTest.variables : null;

  return (
    <ResourcePage<TracingConfig>
      titleId="obs-title"
      title="Observability"
      feature="distributed_tracing"
      list={listState(list)}
      listTitle="Tracing configurations"
      filter={byCluster.filter}
      showCount
      table={{
        label: 'Tracing configs',
        columns: columns(byCluster.nameOf),
        empty: 'No tracing configs',
        emptyHint: 'Create one to export spans to Jaeger, Zipkin or an OTLP collector.',
      }}
      form={{
        allowed: isAdmin,
        mode: 'button',
        newLabel: 'New tracing config',
        render: (target, page) => (
          <TracingConfigForm
            title={target === 'new' ? 'New tracing config' : `Edit tracing config “${target.name}”`}
            submitLabel={target === 'new' ? 'Create tracing config' : 'Save changes'}
            initial={target === 'new' ? EMPTY_TRACING : tracingToForm(target)}
            clusters={clusters ?? []}
            onCancel={page.closeForm}
            onSubmit={async (input) => {
              if (target === 'new') {
                const c = await configs.create(input);
                page.open(c.id);
              } else {
                await configs.update(target.id, input);
              }
              page.closeForm();
            }}
          />
        ),
      }}
      rowActions={(c, page) => {
        const text = page.isOpen(c) ? 'Hide stats' : 'Stats';
        const testText = testing === c.id ? 'Testing…' : 'Test connection';
        return (
          <>
            <DetailToggle open={page.isOpen(c)} onToggle={() => page.toggle(c)} label={`${text} ${c.name}`}>
              {text}
            </DetailToggle>
            {isAdmin && (
              <>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={testing === c.id}
                  onClick={() =>
                    page.run(async () => {
                      const r = await connectionTest.mutateAsync(c.id);
                      setTests((t) => ({ ...t, [c.id]: r }));
                      page.open(c.id);
                    })
                  }
                  aria-label={`${testText} ${c.name}`}
                >
                  {testText}
                </button>
                <RowActions
                  name={c.name}
                  enabled={c.enabled}
                  onEdit={() => page.edit(c)}
                  onToggle={() => page.run(() => (c.enabled ? configs.disable(c.id) : configs.enable(c.id)))}
                  onDelete={() => page.remove(c, `Delete tracing config “${c.name}”?`, () => configs.remove(c.id))}
                />
              </>
            )}
          </>
        );
      }}
      detail={(id, c) =>
        c && (
          <section className="card" aria-labelledby={`tr-detail-${id}`}>
            <h2 id={`tr-detail-${id}`}>“{c.name}”</h2>
            {tests[id] && <ConnectionTestResult result={tests[id]} />}
            <TracingStatsPanel configId={id} />
          </section>
        )
      }
    >
      <LatencyPanel />
      <SpanSearch onOpenTrace={setTraceId} />
      {traceId && <TraceView key={traceId} traceId={traceId} onClose={() => setTraceId(null)} />}
      <DependencyGraphView />
    </ResourcePage>
  );
}
