// Layouts of the trace views: the span waterfall and the service dependency graph.
import type { DependencyGraph, Span } from '../types';

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
