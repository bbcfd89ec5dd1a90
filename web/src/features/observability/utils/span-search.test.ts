import { describe, expect, it } from 'vitest';
import { searchParams, validateSearch } from './span-search';

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
