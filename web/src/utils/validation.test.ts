import { describe, expect, it } from 'vitest';
import { endpointError, newPassword, type Errors } from './validation';

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

describe('newPassword', () => {
  const check = (password: string, confirm: string) => {
    const e: Errors = {};
    newPassword(e, 'password', 'confirm', password, confirm);
    return e;
  };
  it('asks for 8 characters and the same text twice', () => {
    expect(check('s3cret-pw', 's3cret-pw')).toEqual({});
    expect(check('short', 'short')).toEqual({ password: 'must be at least 8 characters' });
    expect(check('s3cret-pw', 's3cret-px')).toEqual({ confirm: 'does not match the new password' });
    expect(check('x'.repeat(1025), 'x'.repeat(1025))).toEqual({ password: 'must be at most 1024 characters' });
  });
});
