import LicenseGate from '@/components/license/license-gate';
import { MultiCloudPage } from '@/features/multi-cloud/components/multi-cloud-page';
import { useServices } from '@/features/services/api/services';

function MultiCloud() {
  const services = useServices();
  return <MultiCloudPage services={services.data?.items} />;
}

/** Multi-cloud routing, behind its license gate (nothing of the feature loads without the license). */
export default function MultiCloudRoute() {
  return (
    <LicenseGate feature="multi_cloud_routing">
      <MultiCloud />
    </LicenseGate>
  );
}
