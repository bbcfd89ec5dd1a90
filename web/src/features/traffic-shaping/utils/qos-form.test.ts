import { describe, expect, it } from 'vitest';
import type { QosPolicy, QosPolicyInput } from '../types';
import { EMPTY_QOS, qosToForm, qosToInput, validateQos, type QosForm } from './qos-form';

const qos = (o: Partial<QosForm> = {}): QosForm => ({ ...EMPTY_QOS, name: 'gold', service_id: '1', ...o });

describe('validateQos', () => {
  it('accepts a valid policy and builds the API body', () => {
    expect(validateQos(qos({ ingress_mbps: '100', egress_mbps: '100000' }))).toEqual({});
    const body = qosToInput(qos({ ingress_mbps: '100', max_latency_ms: '' }), 4);
    expect(body.bandwidth).toEqual({ ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024, scope: 'cluster' });
    expect(body.priority_config).toEqual({ priority: 'P2', weight: 50, max_latency_ms: null, dscp_marking: 'BE' });
    expect(body.cluster_id).toBe(4);
  });

  it('enforces the bounds of docs/API.md', () => {
    const e = validateQos(
      qos({
        name: ' ',
        service_id: '',
        ingress_mbps: '0',
        egress_mbps: '100001',
        burst_size_kb: '10241',
        weight: '101',
        max_latency_ms: '60001',
      }),
    );
    expect(e.name).toBe('must not be empty');
    expect(e.service_id).toBeDefined();
    expect(e['bandwidth.ingress_mbps']).toBe('must be between 1 and 100000');
    expect(e['bandwidth.egress_mbps']).toBe('must be between 1 and 100000');
    expect(e['bandwidth.burst_size_kb']).toBe('must be between 1 and 10240');
    expect(e['priority_config.weight']).toBe('must be between 1 and 100');
    expect(e['priority_config.max_latency_ms']).toBeDefined();
  });

  it('rejects non-integers and an empty burst', () => {
    const e = validateQos(qos({ ingress_mbps: '1.5', burst_size_kb: '', weight: 'abc' }));
    expect(Object.keys(e).sort()).toEqual([
      'bandwidth.burst_size_kb',
      'bandwidth.ingress_mbps',
      'priority_config.weight',
    ]);
  });

  it('rejects an unknown limit scope', () => {
    const e = validateQos(qos({ scope: 'global' as QosForm['scope'] }));
    expect(e).toEqual({ 'bandwidth.scope': 'must be cluster or proxy' });
  });
});

describe('limit scope', () => {
  const spec: QosPolicyInput = {
    name: 'gold',
    description: null,
    service_id: 1,
    cluster_id: 4,
    bandwidth: { ingress_mbps: 100, egress_mbps: 200, burst_size_kb: 512, scope: 'proxy' },
    priority_config: { priority: 'P1', weight: 30, max_latency_ms: 20, dscp_marking: 'AF41' },
    enabled: true,
  };
  const stored = { ...spec, id: 9, created_at: '', updated_at: '' } as QosPolicy;

  it('defaults to cluster', () => {
    expect(EMPTY_QOS.scope).toBe('cluster');
    expect(qosToInput(qos(), 1).bandwidth?.scope).toBe('cluster');
  });

  it('round-trips a stored policy through the form', () => {
    const f = qosToForm(stored);
    expect(f.scope).toBe('proxy');
    expect(validateQos(f)).toEqual({});
    expect(qosToInput(f, stored.cluster_id)).toEqual(spec);
  });

  it('reads a policy without a scope as cluster (the API default)', () => {
    const bandwidth = { ingress_mbps: 100, egress_mbps: 200, burst_size_kb: 512 };
    expect(qosToForm({ ...stored, bandwidth } as QosPolicy).scope).toBe('cluster');
  });
});
