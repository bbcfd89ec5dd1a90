import { describe, expect, it } from 'vitest';
import { LICENSE_403 } from '@/testing/mock-api';
import { ApiError, errorFromResponse, LicenseError, locToPath, ValidationError } from './errors';

describe('errorFromResponse', () => {
  it('turns a license 403 into a LicenseError', () => {
    const e = errorFromResponse(403, LICENSE_403.body);
    expect(e).toBeInstanceOf(LicenseError);
    const le = e as LicenseError;
    expect(le.feature).toBe('traffic_shaping');
    expect(le.message).toBe('Traffic shaping requires an Enterprise license');
    expect(le.upgradeUrl).toBe('https://www.penguintech.io/marchproxy/pricing');
    expect(le.status).toBe(403);
  });

  it('keeps a permission 403 a plain ApiError', () => {
    const e = errorFromResponse(403, { detail: 'Insufficient permissions: admin role required' });
    expect(e).not.toBeInstanceOf(LicenseError);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toBe('Insufficient permissions: admin role required');
  });

  it('maps 422 detail arrays to field errors keyed by loc path', () => {
    const e = errorFromResponse(422, {
      detail: [
        { loc: ['body', 'bandwidth', 'ingress_mbps'], msg: 'must be between 1 and 100000', type: 'value_error' },
        { loc: ['body', 'routes', 0, 'endpoint'], msg: 'invalid URL', type: 'value_error' },
        { loc: ['body', 'name'], msg: 'must not be empty', type: 'value_error' },
        { loc: ['body', 'name'], msg: 'second problem', type: 'value_error' },
      ],
    });
    expect(e).toBeInstanceOf(ValidationError);
    const v = e as ValidationError;
    expect(v.fieldErrors['bandwidth.ingress_mbps']).toBe('must be between 1 and 100000');
    expect(v.fieldErrors['routes.0.endpoint']).toBe('invalid URL');
    expect(v.fieldErrors.name).toBe('must not be empty; second problem');
    expect(v.errors).toHaveLength(4);
  });

  it('maps 409 field lists (a missing or mismatched referenced object) to field errors too', () => {
    const e = errorFromResponse(409, {
      detail: [
        { loc: ['body', 'service_id'], msg: 'service 7 belongs to cluster 2, not cluster 1', type: 'value_error' },
      ],
    });
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.status).toBe(409);
    expect((e as ValidationError).fieldErrors.service_id).toBe('service 7 belongs to cluster 2, not cluster 1');
    const plain = errorFromResponse(409, { detail: 'a cluster named `x` already exists' });
    expect(plain).not.toBeInstanceOf(ValidationError);
    expect(plain.message).toBe('a cluster named `x` already exists');
  });

  it('locToPath drops the body/query prefix', () => {
    expect(locToPath(['body', 'priority_config', 'weight'])).toBe('priority_config.weight');
    expect(locToPath(['query', 'limit'])).toBe('limit');
    expect(locToPath(['body'])).toBe('body');
  });

  it('reads string details, Retry-After, and unreachable servers', () => {
    expect(errorFromResponse(404, { detail: 'QoS policy 7 not found' }).message).toBe('QoS policy 7 not found');
    const locked = errorFromResponse(429, { detail: 'Too many failed logins' }, '30');
    expect(locked.retryAfter).toBe(30);
    expect(locked.message).toContain('30 s');
    expect(errorFromResponse(0, undefined).message).toMatch(/cannot reach/i);
    expect(errorFromResponse(500, 'oops').message).toBe('Server error (HTTP 500)');
  });
});
