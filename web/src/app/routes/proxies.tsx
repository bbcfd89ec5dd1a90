import { useClusters } from '@/features/clusters/api/clusters';
import { ProxiesPage } from '@/features/proxies/components/proxies-page';

/** Proxies, with the clusters they registered with. */
export default function ProxiesRoute() {
  const clusters = useClusters();
  return <ProxiesPage clusters={clusters.data?.items} />;
}
