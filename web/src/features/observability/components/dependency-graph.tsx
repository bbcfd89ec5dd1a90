import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { fmtNum } from '@/utils/format';
import { useDependencies } from '../api/traces';
import type { DependencyGraph } from '../types';
import { layoutGraph } from '../utils/layout';

export function DependencyGraphView() {
  const deps = useDependencies();
  return (
    <section className="card" aria-labelledby="deps-title">
      <div className="page-head">
        <h2 id="deps-title">Service dependencies</h2>
        <button type="button" className="btn btn-small" onClick={() => void deps.refetch()}>
          Refresh
        </button>
      </div>
      {deps.error && !deps.data ? (
        <ErrorState title="Could not load dependencies" error={deps.error} onRetry={() => void deps.refetch()} />
      ) : deps.isPending || !deps.data ? (
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
