// The QoS policy form: its fields as typed, validation mirroring the API's bounds (docs/API.md), and the
// conversions from a stored policy and to the API body.
import { intIn, optNum, str, text, type Errors } from '@/utils/validation';
import type { BandwidthScope, Dscp, Priority, QosPolicy, QosPolicyInput } from '../types';

export const PRIORITIES: Priority[] = ['P0', 'P1', 'P2', 'P3'];
export const DSCP_VALUES: Dscp[] = ['EF', 'AF41', 'AF31', 'AF21', 'AF11', 'BE'];
/** `cluster`: the limits hold across all proxies of the cluster; `proxy`: each proxy enforces them alone. */
export const SCOPES: BandwidthScope[] = ['cluster', 'proxy'];
/** How the list and the statistics name a scope; a policy without one is `cluster` (the API default). */
export const scopeLabel = (scope: BandwidthScope | undefined): string =>
  scope === 'proxy' ? 'per proxy' : 'cluster-wide';

export interface QosForm {
  name: string;
  description: string;
  service_id: string;
  ingress_mbps: string;
  egress_mbps: string;
  burst_size_kb: string;
  scope: BandwidthScope;
  priority: Priority;
  weight: string;
  max_latency_ms: string;
  dscp_marking: Dscp;
  enabled: boolean;
}

export const EMPTY_QOS: QosForm = {
  name: '',
  description: '',
  service_id: '',
  ingress_mbps: '',
  egress_mbps: '',
  burst_size_kb: '1024',
  scope: 'cluster',
  priority: 'P2',
  weight: '50',
  max_latency_ms: '',
  dscp_marking: 'BE',
  enabled: true,
};

export function qosToForm(p: QosPolicy): QosForm {
  return {
    name: p.name,
    description: p.description ?? '',
    service_id: String(p.service_id),
    ingress_mbps: str(p.bandwidth.ingress_mbps),
    egress_mbps: str(p.bandwidth.egress_mbps),
    burst_size_kb: str(p.bandwidth.burst_size_kb),
    scope: p.bandwidth.scope ?? 'cluster',
    priority: p.priority_config.priority,
    weight: str(p.priority_config.weight),
    max_latency_ms: str(p.priority_config.max_latency_ms),
    dscp_marking: p.priority_config.dscp_marking,
    enabled: p.enabled,
  };
}

export function validateQos(f: QosForm): Errors {
  const e: Errors = {};
  text(e, 'name', f.name, 100);
  if (f.description.length > 2000) e.description = 'must be at most 2000 characters';
  if (!f.service_id) e.service_id = 'choose a service';
  intIn(e, 'bandwidth.ingress_mbps', f.ingress_mbps, 1, 100000, true);
  intIn(e, 'bandwidth.egress_mbps', f.egress_mbps, 1, 100000, true);
  intIn(e, 'bandwidth.burst_size_kb', f.burst_size_kb, 1, 10240);
  if (!SCOPES.includes(f.scope)) e['bandwidth.scope'] = 'must be cluster or proxy';
  if (!PRIORITIES.includes(f.priority)) e['priority_config.priority'] = 'must be one of P0, P1, P2, P3';
  intIn(e, 'priority_config.weight', f.weight, 1, 100);
  intIn(e, 'priority_config.max_latency_ms', f.max_latency_ms, 1, 60_000, true);
  if (!DSCP_VALUES.includes(f.dscp_marking)) e['priority_config.dscp_marking'] = 'invalid DSCP marking';
  return e;
}

export function qosToInput(f: QosForm, clusterId: number): QosPolicyInput {
  return {
    name: f.name.trim(),
    description: f.description.trim() || null,
    service_id: Number(f.service_id),
    cluster_id: clusterId,
    bandwidth: {
      ingress_mbps: optNum(f.ingress_mbps),
      egress_mbps: optNum(f.egress_mbps),
      burst_size_kb: Number(f.burst_size_kb),
      scope: f.scope,
    },
    priority_config: {
      priority: f.priority,
      weight: Number(f.weight),
      max_latency_ms: optNum(f.max_latency_ms),
      dscp_marking: f.dscp_marking,
    },
    enabled: f.enabled,
  };
}
