import type { ReactNode } from 'react';
import { PRICING_URL } from '@/config/links';
import { useLicense, type Feature } from '@/lib/license';
import { ErrorState, Loading } from '@/components/ui/states';

interface FeatureInfo {
  title: string;
  description: string;
  benefits: string[];
}

export const FEATURE_INFO: Record<Feature, FeatureInfo> = {
  traffic_shaping: {
    title: 'Traffic Shaping & QoS',
    description:
      'Per-service bandwidth limits, priority classes (P0–P3) with weighted scheduling, and DSCP marking, enforced by every proxy in the cluster.',
    benefits: [
      'Ingress and egress bandwidth caps with burst control',
      'Four priority classes with latency targets and SLA violation tracking',
      'DSCP marking (EF, AF41 … BE) for network-level QoS',
      'Live per-policy rate and delay statistics',
    ],
  },
  multi_cloud_routing: {
    title: 'Multi-Cloud Routing',
    description:
      'Route traffic across AWS, GCP, Azure and on-premises endpoints by latency, cost, geography or weight, with active health checks and automatic failover.',
    benefits: [
      'Latency-, cost-, geo- and weight-based routing algorithms',
      'Active health probes with automatic failover',
      'Failover drills to verify your disaster-recovery plan',
      'Egress cost analytics by provider, service and day',
    ],
  },
  distributed_tracing: {
    title: 'Distributed Tracing',
    description:
      'Export spans from every proxy to Jaeger, Zipkin or any OpenTelemetry collector, with flexible sampling, span search and a service dependency graph.',
    benefits: [
      'Jaeger, Zipkin and OTLP (gRPC/HTTP) exporters',
      'Probabilistic, rate-limited, error-only and adaptive sampling',
      'Span search, trace waterfall and dependency graph',
      'Export statistics and connection tests',
    ],
  },
};

/** The upgrade prompt shown in place of an Enterprise feature. */
export function UpgradePrompt({
  feature,
  message,
  upgradeUrl = PRICING_URL,
}: {
  feature: Feature;
  message?: string | null;
  upgradeUrl?: string;
}) {
  const info = FEATURE_INFO[feature];
  return (
    <section className="license-gate card" aria-labelledby={`gate-${feature}`} data-testid="license-gate">
      <span className="badge badge-enterprise">Enterprise feature</span>
      <h2 id={`gate-${feature}`}>{info.title}</h2>
      <p className="gate-description">{info.description}</p>
      {message && <p className="gate-message">{message}</p>}
      <h3>What you get</h3>
      <ul className="gate-benefits">
        {info.benefits.map((b) => (
          <li key={b}>{b}</li>
        ))}
      </ul>
      <div className="gate-actions">
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => window.open(upgradeUrl, '_blank', 'noopener,noreferrer')}
        >
          Upgrade to Enterprise
        </button>
        <a href={PRICING_URL} target="_blank" rel="noopener noreferrer">
          See pricing and plans
        </a>
      </div>
    </section>
  );
}

/**
 * Renders `children` only if the license status lists `feature`.
 * The decision is made from GET /api/v1/license/status before the feature renders,
 * so a Community user never sees the feature flash and then flip to the gate.
 */
export function LicenseGate({ feature, children }: { feature: Feature; children: ReactNode }) {
  const { status, loading, error, reload } = useLicense();
  if (error && !status) {
    return <ErrorState title="Could not check the license" error={error} onRetry={reload} />;
  }
  if (loading || !status) {
    return <Loading label="Checking license…" />;
  }
  if (!status.features.includes(feature)) {
    return <UpgradePrompt feature={feature} message={status.message} />;
  }
  return <>{children}</>;
}

export default LicenseGate;
