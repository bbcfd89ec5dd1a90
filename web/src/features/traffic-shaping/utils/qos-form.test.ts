import { describe, expect, it } from 'vitest';
import { EMPTY_QOS, qosToInput, validateQos, type QosForm } from './qos-form';

const qos = (o: Partial<QosForm> = {}): QosForm => ({ ...EMPTY_QOS, name: 'gold', service_id: '1', ...o });

describe('validateQos', () => {
  it('accepts a valid policy and builds the API body', () => {
    expect(validateQos(qos({ ingress_mbps: '100', egress_mbps: '100000' }))).toEqual({});
    const body = qosToInput(qos({ ingress_mbps: '100', max_latency_ms: '' }), 4);
    expect(body.bandwidth).toEqual({ ingress_mbps: 100, egress_mbps: null, burst_size_kb: 1024 });
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
});
