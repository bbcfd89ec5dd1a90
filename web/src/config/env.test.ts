import { describe, expect, it } from 'vitest';
import { resolveApiBaseUrl } from './env';

describe('resolveApiBaseUrl', () => {
  it('defaults to the same origin', () => {
    expect(resolveApiBaseUrl(undefined)).toEqual({ ok: true, baseUrl: '' });
    expect(resolveApiBaseUrl('  ')).toEqual({ ok: true, baseUrl: '' });
  });
  it('accepts http(s) URLs and strips the trailing slash', () => {
    expect(resolveApiBaseUrl('http://127.0.0.1:8000/')).toEqual({ ok: true, baseUrl: 'http://127.0.0.1:8000' });
    expect(resolveApiBaseUrl('https://cp.example.com')).toEqual({ ok: true, baseUrl: 'https://cp.example.com' });
  });
  it('rejects anything else', () => {
    expect(resolveApiBaseUrl('api-server:8000').ok).toBe(false);
    expect(resolveApiBaseUrl('ftp://x').ok).toBe(false);
    expect(resolveApiBaseUrl('not a url').ok).toBe(false);
    expect(resolveApiBaseUrl('http://x/?a=1').ok).toBe(false);
  });
});
