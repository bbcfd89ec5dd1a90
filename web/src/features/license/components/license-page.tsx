import { useState } from 'react';
import { PRICING_URL } from '@/config/links';
import { ErrorState, InlineError, Loading } from '@/components/ui/states';
import { fmtTime } from '@/utils/format';
import { useAuth } from '@/lib/auth';
import { useLicense } from '@/lib/license';
import { useRefreshLicense } from '../api/refresh-license';

const ALL_FEATURES = ['traffic_shaping', 'multi_cloud_routing', 'distributed_tracing'];

export default function License() {
  const { status, loading, error, reload } = useLicense();
  const refresh = useRefreshLicense();
  const { isAdmin } = useAuth();
  const [busy, setBusy] = useState(false);
  const [refreshError, setRefreshError] = useState<unknown>(null);

  if (error && !status) return <ErrorState title="Could not load the license status" error={error} onRetry={reload} />;
  if (loading || !status) return <Loading />;

  const features = Array.from(new Set([...ALL_FEATURES, ...status.features]));
  return (
    <section aria-labelledby="lic-title">
      <h1 id="lic-title">License</h1>
      <div className="card">
        <dl className="kv">
          <dt>Tier</dt>
          <dd data-testid="license-tier">
            <span className={`badge badge-tier-${status.tier}`}>{status.tier}</span>
          </dd>
          <dt>Valid</dt>
          <dd>{status.valid ? 'yes' : 'no'}</dd>
          <dt>Source of validation</dt>
          <dd>{status.source}</dd>
          <dt>License key</dt>
          <dd>{status.key_hint ?? 'none'}</dd>
          <dt>Expires</dt>
          <dd>{status.expires_at ? fmtTime(status.expires_at) : 'never'}</dd>
          <dt>Last validated</dt>
          <dd>{fmtTime(status.last_validated_at)}</dd>
          <dt>Release mode</dt>
          <dd>{status.release_mode ? 'on' : 'off'}</dd>
          {status.message && (
            <>
              <dt>Message</dt>
              <dd>{status.message}</dd>
            </>
          )}
        </dl>
      </div>
      <h2>Features</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Available</th>
          </tr>
        </thead>
        <tbody>
          {features.map((f) => (
            <tr key={f}>
              <td>{f}</td>
              <td>{status.features.includes(f) ? <span className="text-ok">yes</span> : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Limits</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Limit</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(status.limits ?? {}).map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{v === null ? 'unlimited' : v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        {isAdmin && (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setRefreshError(null);
              try {
                await refresh.mutateAsync();
              } catch (e) {
                setRefreshError(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? 'Re-validating…' : 'Re-validate license'}
          </button>
        )}
        {status.tier !== 'enterprise' && (
          <a className="btn btn-primary" href={PRICING_URL} target="_blank" rel="noopener noreferrer">
            Upgrade to Enterprise
          </a>
        )}
      </div>
      <InlineError error={refreshError} />
    </section>
  );
}
