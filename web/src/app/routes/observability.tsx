import LicenseGate from '@/components/license/license-gate';
import { useClusters } from '@/features/clusters/api/clusters';
import { ObservabilityPage } from '@/features/observability/components/observability-page';

function Observability() {
  const clusters = useClusters();
  return <ObservabilityPage clusters={clusters.data?.items} />;
}

/** Observability, behind its license gate (nothing of the feature loads without the license). */
export default function ObservabilityRoute() {
  return (
    <LicenseGate feature="distributed_tracing">
      <Observability />
    </LicenseGate>
  );
}
