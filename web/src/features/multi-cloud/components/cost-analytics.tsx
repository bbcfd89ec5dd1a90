import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { fmtBytes, fmtDay, fmtMoney, fmtNum } from '@/utils/format';
import { useCostAnalytics } from '../api/cost-analytics';

const DAY_CHOICES = [7, 14, 30, 90];

function money(v: unknown) {
  return typeof v === 'number' ? fmtMoney(v) : String(v);
}

export default function CostAnalytics() {
  const [days, setDays] = useState(7);
  const cost = useCostAnalytics(days);
  const c = cost.data;

  return (
    <section className="card" aria-labelledby="cost-title">
      <div className="page-head">
        <h2 id="cost-title">Cost analytics</h2>
        <div className="toolbar">
          <label htmlFor="cost-days">Period</label>
          <select id="cost-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {DAY_CHOICES.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
      </div>
      {cost.error && !c ? (
        <ErrorState title="Cost analytics unavailable" error={cost.error} onRetry={() => void cost.refetch()} />
      ) : cost.isPending || !c ? (
        <Loading label="Loading cost analytics…" />
      ) : c.providers.length === 0 && c.daily.every((d) => d.requests === 0 && d.egress_bytes === 0) ? (
        <EmptyState title="No egress recorded">
          No traffic went through multi-cloud routes between {fmtDay(c.start)} and {fmtDay(c.end)}.
        </EmptyState>
      ) : (
        <>
          <div className="grid">
            <div className="stat">
              <div className="stat-label">Total cost</div>
              <div className="stat-value">{fmtMoney(c.total_cost)}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Total egress</div>
              <div className="stat-value">{fmtNum(c.total_egress_gb, 3)} GB</div>
            </div>
            <div className="stat">
              <div className="stat-label">Period</div>
              <div className="stat-value small">
                {fmtDay(c.start)} → {fmtDay(c.end)}
              </div>
            </div>
          </div>
          <div className="charts">
            <figure>
              <figcaption>Cost by provider</figcaption>
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={c.providers}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="provider" />
                  <YAxis />
                  <Tooltip formatter={money} />
                  <Bar dataKey="cost" name="Cost ($)" fill="#2563eb" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <figure>
              <figcaption>Cost by service</figcaption>
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={c.by_service}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="service_name" />
                  <YAxis />
                  <Tooltip formatter={money} />
                  <Bar dataKey="cost" name="Cost ($)" fill="#059669" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <figure className="wide">
              <figcaption>Daily trend</figcaption>
              <ResponsiveContainer width="100%" height={240}>
                <LineChart data={c.daily}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="date" />
                  <YAxis yAxisId="cost" />
                  <YAxis yAxisId="req" orientation="right" />
                  <Tooltip />
                  <Legend />
                  <Line yAxisId="cost" type="monotone" dataKey="cost" name="Cost ($)" stroke="#2563eb" />
                  <Line yAxisId="req" type="monotone" dataKey="requests" name="Requests" stroke="#d97706" />
                </LineChart>
              </ResponsiveContainer>
            </figure>
          </div>
          <table className="table">
            <caption>By region</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Region</th>
                <th scope="col">Egress</th>
                <th scope="col">Requests</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {c.regions.map((r) => (
                <tr key={`${r.provider}/${r.region}`}>
                  <td>{r.provider}</td>
                  <td>{r.region}</td>
                  <td>{fmtBytes(r.egress_bytes)}</td>
                  <td>{fmtNum(r.requests)}</td>
                  <td>{fmtMoney(r.cost)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
