import LicenseGate from '@/components/license/license-gate';
import { useServices } from '@/features/services/api/services';
import { TrafficShapingPage } from '@/features/traffic-shaping/components/traffic-shaping-page';

function TrafficShaping() {
  const services = useServices();
  return <TrafficShapingPage services={services.data?.items} />;
}

/** Traffic shaping, behind its license gate (nothing of the feature loads without the license). */
export default function TrafficShapingRoute() {
  return (
    <LicenseGate feature="traffic_shaping">
      <TrafficShaping />
    </LicenseGate>
  );
}
