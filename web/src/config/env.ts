/**
 * Runtime configuration.
 *
 * Served by `marchproxy serve`, the UI talks to the API on the same origin, so the
 * base URL is ''. Standalone (e.g. `npm run dev`), VITE_API_URL gives the API server;
 * it is validated at start and an invalid value stops the app with an error screen.
 */
export type ApiUrlResult = { ok: true; baseUrl: string } | { ok: false; error: string };

export function resolveApiBaseUrl(raw: string | undefined): ApiUrlResult {
  if (raw === undefined || raw.trim() === '') {
    return { ok: true, baseUrl: '' };
  }
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: `VITE_API_URL is not a valid URL: "${value}"` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: `VITE_API_URL must be an http:// or https:// URL, got "${value}"` };
  }
  if (url.search || url.hash) {
    return { ok: false, error: `VITE_API_URL must not contain a query or fragment: "${value}"` };
  }
  return { ok: true, baseUrl: value.replace(/\/+$/, '') };
}

export const apiConfig: ApiUrlResult = resolveApiBaseUrl(import.meta.env.VITE_API_URL);
