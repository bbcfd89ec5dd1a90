import { useClusters } from '@/features/clusters/api/clusters';
import { ServicesPage } from '@/features/services/components/services-page';

/** Services, with the clusters they belong to. */
export default function ServicesRoute() {
  const clusters = useClusters();
  return <ServicesPage clusters={clusters.data?.items} />;
}
