import type { TokenPair } from './api-types';

// The operator's session (tokens), kept in localStorage so a reload keeps the operator signed in.

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms at which the access token expires. */
  expiresAt: number;
}

const SESSION_KEY = 'marchproxy.session';
/** Refresh when less than this much lifetime is left. */
export const REFRESH_MARGIN_MS = 60_000;

export function getSession(): Session | null {
  try {
    const raw = window.localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.accessToken !== 'string' || typeof s.refreshToken !== 'string') return null;
    return s;
  } catch {
    return null;
  }
}

export function setSessionFromTokens(t: TokenPair, now: number = Date.now()): Session {
  const s: Session = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: now + t.expires_in * 1000,
  };
  window.localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  notifySession();
  return s;
}

export function clearSession(): void {
  window.localStorage.removeItem(SESSION_KEY);
  notifySession();
}

type SessionListener = (s: Session | null) => void;
const sessionListeners = new Set<SessionListener>();
export function onSessionChange(fn: SessionListener): () => void {
  sessionListeners.add(fn);
  return () => sessionListeners.delete(fn);
}
function notifySession() {
  const s = getSession();
  sessionListeners.forEach((fn) => fn(s));
}
