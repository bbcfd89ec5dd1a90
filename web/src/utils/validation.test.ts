import { describe, expect, it } from 'vitest';
import { endpointError } from './validation';

describe('endpointError', () => {
  it('accepts what the server accepts', () => {
    for (const ok of [
      'https://a.example.com:443',
      'http://10.0.0.1',
      'tcp://db:5432',
      'grpc://collector',
      'db.internal:5432',
      '[::1]:8080',
    ])
      expect(endpointError(ok)).toBeNull();
  });
  it('rejects what the server rejects', () => {
    expect(endpointError('')).toBe('must not be empty');
    expect(endpointError('ftp://x:21')).toMatch(/unsupported URL scheme/);
    expect(endpointError('tcp://db')).toBe('URL has no port');
    expect(endpointError('justahost')).toBe('must be a URL or host:port');
    expect(endpointError('host:99999')).toMatch(/port must be/);
  });
});
