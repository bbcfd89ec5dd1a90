import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, signIn } from '../../test/mockApi';
import type { Span } from '../../services/types';
import { layoutGraph, layoutWaterfall, searchParams, SpanSearch, TraceView, validateSearch } from './TraceViews';

const T = 'a'.repeat(32);
const span = (
  id: string,
  parent: string | null,
  startMs: number,
  dur: number,
  status: 'ok' | 'error' = 'ok',
): Span => ({
  trace_id: T,
  span_id: id,
  parent_span_id: parent,
  service: parent ? 'backend' : 'edge',
  operation: `op-${id}`,
  kind: 'server',
  start_time: new Date(Date.UTC(2026, 10, 26, 10, 0, 0, startMs)).toISOString(),
  duration_ms: dur,
  status,
  attributes: { 'http.status_code': 200 },
  source: 'local',
});

describe('layoutWaterfall', () => {
  it('orders spans depth-first and scales them to the trace', () => {
    const rows = layoutWaterfall([span('c', 'a', 50, 50), span('a', null, 0, 100), span('b', 'a', 10, 20)]);
    expect(rows.map((r) => [r.span.span_id, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 1],
    ]);
    expect(rows[0].offsetPct).toBe(0);
    expect(rows[0].widthPct).toBe(100);
    expect(rows[2].offsetPct).toBe(50);
  });
  it('treats spans whose parent is missing as roots', () => {
    expect(layoutWaterfall([span('x', 'gone', 0, 5)])[0].depth).toBe(0);
    expect(layoutWaterfall([])).toEqual([]);
  });
});

describe('layoutGraph', () => {
  it('puts callers left of callees', () => {
    const { pos } = layoutGraph({
      nodes: [{ service: 'edge' }, { service: 'api' }, { service: 'db' }],
      edges: [
        { parent: 'edge', child: 'api', call_count: 10, error_count: 0 },
        { parent: 'api', child: 'db', call_count: 5, error_count: 1 },
      ],
    });
    expect(pos.get('edge')!.x).toBeLessThan(pos.get('api')!.x);
    expect(pos.get('api')!.x).toBeLessThan(pos.get('db')!.x);
  });
});

describe('span search form', () => {
  const base = {
    service: '',
    operation: '',
    tags: '',
    has_error: '' as const,
    min_duration_ms: '',
    max_duration_ms: '',
    trace_id: '',
    lookback_minutes: '60',
    limit: '50',
  };
  it('validates filters', () => {
    expect(validateSearch(base)).toEqual({});
    const e = validateSearch({
      ...base,
      tags: 'novalue',
      min_duration_ms: '10',
      max_duration_ms: '5',
      trace_id: 'xyz',
      limit: '0',
    });
    expect(Object.keys(e).sort()).toEqual(['limit', 'max_duration_ms', 'tags', 'trace_id']);
  });
  it('builds query parameters', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const p = searchParams(
      { ...base, service: 'api', tags: 'http.method:GET, env:prod', has_error: 'true', min_duration_ms: '5' },
      now,
    );
    expect(p).toEqual({
      limit: 50,
      skip: 0,
      service: 'api',
      tags: 'http.method:GET,env:prod',
      has_error: true,
      min_duration_ms: 5,
      start: '2026-11-26T11:00:00.000Z',
      end: '2026-11-26T12:00:00.000Z',
    });
  });
});

describe('TraceView', () => {
  it('renders the waterfall and span details from /traces/{id}', async () => {
    signIn();
    mockApi({
      [`GET /api/v1/observability/traces/${T}`]: () => ({
        body: { trace_id: T, spans: [span('a', null, 0, 100), span('b', 'a', 10, 20, 'error')] },
      }),
    });
    const user = userEvent.setup();
    render(<TraceView traceId={T} onClose={() => undefined} />);
    const wf = await screen.findByTestId('waterfall');
    const rows = within(wf).getAllByRole('button');
    expect(rows).toHaveLength(2);
    await user.click(within(wf).getByRole('button', { name: /backend op-b/ }));
    expect(screen.getByText('http.status_code')).toBeInTheDocument();
    expect(screen.getByText('error')).toBeInTheDocument();
  });
});

describe('SpanSearch', () => {
  it('shows the source of each span and warns about backends that failed', async () => {
    signIn();
    const { calls } = mockApi({
      'GET /api/v1/observability/spans/search': () => ({
        body: {
          total: 2,
          spans: [span('a', null, 0, 100), { ...span('b', 'a', 10, 20), source: 'jaeger:prod-jaeger' }],
          errors: [{ source: 'zipkin:legacy', error: 'connection refused' }],
        },
      }),
    });
    const user = userEvent.setup();
    render(<SpanSearch onOpenTrace={() => undefined} />);
    await user.type(screen.getByLabelText('Service'), 'edge');
    await user.click(screen.getByRole('button', { name: 'Search spans' }));
    const warning = await screen.findByTestId('span-backend-errors');
    expect(warning).toHaveAttribute('role', 'alert');
    expect(warning).toHaveTextContent('A tracing backend could not be queried');
    expect(warning).toHaveTextContent('zipkin:legacy');
    expect(warning).toHaveTextContent('connection refused');
    const table = screen.getByTestId('span-results');
    const badges = within(table).getAllByTestId('span-source');
    expect(badges.map((b) => b.textContent)).toEqual(['local', 'jaeger:prod-jaeger']);
    expect(badges[1]).toHaveClass('badge-source-jaeger');
    expect(badges[1]).toHaveAttribute('title', 'jaeger backend of tracing config “prod-jaeger”');
    expect(calls.at(-1)?.params).toMatchObject({ service: 'edge' });
  });

  it('keeps the backend warning visible when no span matched', async () => {
    signIn();
    mockApi({
      'GET /api/v1/observability/spans/search': () => ({
        body: {
          total: 0,
          spans: [],
          errors: [
            { source: 'jaeger:a', error: 'timeout' },
            { source: 'zipkin:b', error: 'HTTP 500' },
          ],
        },
      }),
    });
    const user = userEvent.setup();
    render(<SpanSearch onOpenTrace={() => undefined} />);
    await user.click(screen.getByRole('button', { name: 'Search spans' }));
    const warning = await screen.findByTestId('span-backend-errors');
    expect(warning).toHaveTextContent('2 tracing backends could not be queried');
    expect(within(warning).getAllByRole('listitem')).toHaveLength(2);
    expect(screen.getByText('No spans match')).toBeInTheDocument();
  });
});
