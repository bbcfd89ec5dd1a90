// The span search form: its fields as typed, validation, and the query parameters it sends.
import type { SpanSearchParams } from '../types';

export interface SearchForm {
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

export const EMPTY_SEARCH: SearchForm = {
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
