import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { CostReport } from '../types';

export const fetchCostAnalytics = (days: number, clusterId?: number) =>
  api
    .get<CostReport>('/api/v1/multi-cloud/analytics/cost', {
      params: clusterId ? { days, cluster_id: clusterId } : { days },
    })
    .then((r) => r.data);

/** Egress cost over the last `days` days, by provider, service, region and day. */
export function useCostAnalytics(days: number, clusterId?: number) {
  return useQuery({
    queryKey: ['cost-analytics', days, clusterId ?? null],
    queryFn: () => fetchCostAnalytics(days, clusterId),
  });
}
