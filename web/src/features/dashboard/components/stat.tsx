import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

/** One figure of the dashboard, linking to its page when `to` is given. */
export function Stat({ label, value, to, testId }: { label: string; value: ReactNode; to?: string; testId?: string }) {
  return (
    <div className="stat card" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{to ? <Link to={to}>{value}</Link> : value}</div>
    </div>
  );
}

/** The total of a list query: "…" while it loads, "error" when it failed. */
export function countOf(r: { data?: { total: number }; error: Error | null; isPending: boolean }): ReactNode {
  if (r.error) return <span className="text-error">error</span>;
  if (r.isPending || !r.data) return '…';
  return r.data.total;
}
