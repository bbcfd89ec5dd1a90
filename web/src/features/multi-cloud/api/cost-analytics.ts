import { api } from '@/lib/api-client';
import { useResource } from '@/lib/use-resource';
import type { CostReport } from '../types';

export const fetchCostAnalytics = (days: number, clusterId?: number) =>
  api
    .get<CostReport>('/api/v1/multi-cloud/analytics/cost', {
      params: clusterId ? { days, cluster_id: clusterId } : { days },
    })
    .then((r) => r.data);

export function useCostAnalytics(days: number, clusterId?: number) {
  return useResource(`mc-cost:${days}:${clusterId ?? ''}`, () => fetchCostAnalytics(days, clusterId));
}
