// Client-side validation helpers shared by the forms. Error keys are the dotted paths the API uses in
// 422 `loc`s (without `body`), so the server's field errors land on the same fields.

export type Errors = Record<string, string>;

/** Required text of at most `max` characters. */
export function text(e: Errors, key: string, v: string, max: number) {
  if (!v.trim()) e[key] = 'must not be empty';
  else if (v.trim().length > max) e[key] = `must be at most ${max} characters`;
}

/** Integer in [lo, hi]; '' allowed when optional. */
export function intIn(e: Errors, key: string, v: string, lo: number, hi: number, optional = false) {
  if (v.trim() === '') {
    if (!optional) e[key] = 'is required';
    return;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) e[key] = `must be between ${lo} and ${hi}`;
}

/** Number in [lo, hi]; '' allowed when optional. */
export function numIn(e: Errors, key: string, v: string, lo: number, hi: number, optional = false) {
  if (v.trim() === '') {
    if (!optional) e[key] = 'is required';
    return;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) e[key] = `must be between ${lo} and ${hi}`;
}

/**
 * A new password and its confirmation. Mirrors the server's basic rule (8 to 1024 characters); in release
 * mode the server asks more (length, character classes, no well-known defaults) and says what in a 422.
 */
export function newPassword(e: Errors, key: string, confirmKey: string, password: string, confirm: string) {
  if ([...password].length < 8) e[key] = 'must be at least 8 characters';
  else if (new TextEncoder().encode(password).length > 1024) e[key] = 'must be at most 1024 characters';
  if (confirm !== password) e[confirmKey] = 'does not match the new password';
}

/** '' -> null, else the number. */
export const optNum = (v: string): number | null => (v.trim() === '' ? null : Number(v));
/** A number (or null) as the text of an input. */
export const str = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(v));

/**
 * Mirror of the server's endpoint parser: a URL with scheme http, https, tcp, grpc or grpcs,
 * a host and a port (explicit or the scheme's default), or a bare host:port.
 * Returns an error message, or null when valid.
 */
export function endpointError(raw: string): string | null {
  const s = raw.trim();
  if (!s) return 'must not be empty';
  if (s.length > 255) return 'must be at most 255 characters';
  if (s.includes('://')) {
    const scheme = s.slice(0, s.indexOf('://')).toLowerCase();
    if (!['http', 'https', 'tcp', 'grpc', 'grpcs'].includes(scheme))
      return `unsupported URL scheme \`${scheme}\` (use http, https, grpc, grpcs or tcp)`;
    let u: URL;
    try {
      // URL() knows no default port for tcp/grpc; parse them as http to read host and port.
      u = new URL(`http${s.slice(scheme.length)}`);
    } catch {
      return 'is not a valid URL';
    }
    if (!u.hostname) return 'URL has no host';
    const explicit = /^[a-z+.-]+:\/\/(\[[^\]]*\]|[^/:?#]*):(\d+)/i.test(s);
    if (!explicit && scheme === 'tcp') return 'URL has no port';
    return null;
  }
  const i = s.lastIndexOf(':');
  if (i < 0) return 'must be a URL or host:port';
  const host = s.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(s.slice(i + 1));
  if (!/^\d+$/.test(s.slice(i + 1)) || port < 1 || port > 65535) return 'port must be a number between 1 and 65535';
  if (!host) return 'must be a URL or host:port';
  if (/[\s/]/.test(host)) return 'host contains invalid characters';
  return null;
}

export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
  } catch {
    return false;
  }
}
