import { describe, expect, it } from 'vitest';
import { EMPTY_TRACING, parseTags, tracingToInput, validateTracing, type TracingForm } from './tracing-form';

const tr = (o: Partial<TracingForm> = {}): TracingForm => ({
  ...EMPTY_TRACING,
  name: 'jaeger',
  cluster_id: '1',
  endpoint: 'http://127.0.0.1:4318',
  ...o,
});

describe('validateTracing', () => {
  it('accepts a valid config and builds the API body', () => {
    expect(validateTracing(tr())).toEqual({});
    const body = tracingToInput(tr({ custom_tags: 'env=prod, team=edge' }));
    expect(body.custom_tags).toEqual({ env: 'prod', team: 'edge' });
    expect(body.sampling_rate).toBe(0.1);
    expect(body.max_traces_per_second).toBeNull();
    expect(body.query_url).toBeNull();
  });

  it('mirrors the server rules', () => {
    const e = validateTracing(
      tr({
        backend: 'zipkin',
        exporter: 'thrift',
        sampling_rate: '1.5',
        sampling_strategy: 'rate_limit',
        max_attribute_length: '8',
      }),
    );
    expect(e.exporter).toMatch(/zipkin/);
    expect(e.sampling_rate).toBe('must be between 0 and 1');
    expect(e.max_traces_per_second).toMatch(/required/);
    expect(e.max_attribute_length).toBe('must be between 16 and 65536');
    expect(validateTracing(tr({ backend: 'otlp', exporter: 'thrift' })).exporter).toMatch(/Jaeger-only/);
    expect(validateTracing(tr({ endpoint: 'collector:4318' })).endpoint).toMatch(/http/);
    expect(validateTracing(tr({ exporter: 'grpc', endpoint: 'collector:4317' })).endpoint).toBeUndefined();
    expect(validateTracing(tr({ query_url: 'ftp://x' })).query_url).toBeDefined();
    expect(validateTracing(tr({ custom_tags: 'novalue' })).custom_tags).toMatch(/key=value/);
  });

  it('parses tags', () => {
    expect(parseTags('')).toBeNull();
    expect(parseTags('a=1,b = 2')).toEqual({ a: '1', b: '2' });
    expect(() => parseTags('=x')).toThrow();
  });
});
