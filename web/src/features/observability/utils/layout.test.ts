import { describe, expect, it } from 'vitest';
import { layoutGraph, layoutWaterfall } from './layout';
import { span } from './test-spans';

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
