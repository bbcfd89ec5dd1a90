import type { Span } from '../types';

/** A span of the trace `T` for the tests, starting `startMs` after 10:00 UTC on 2026-11-26. */
export const T = 'a'.repeat(32);
export const span = (
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
