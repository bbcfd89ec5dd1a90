import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ensureFreshToken } from './api-client';
import type { TokenPair, User } from './api-types';
import { clearSession, getSession, onSessionChange, setSessionFromTokens, type Session } from './session';

/** The auth endpoints (login stores the session; logout only forgets it). */
export const authApi = {
  async login(username: string, password: string): Promise<Session> {
    const r = await api.post<TokenPair>('/api/v1/auth/login', { username, password });
    return setSessionFromTokens(r.data);
  },
  me: () => api.get<User>('/api/v1/auth/me').then((r) => r.data),
  logout: () => clearSession(),
};

export interface AuthState {
  session: Session | null;
  user: User | null;
  isAdmin: boolean;
  /** True after an explicit sign-out (the login page then gets no ?next=). */
  signedOut: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

/** Keeps the session, loads the current user, and refreshes the token before it expires. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => getSession());
  const [user, setUser] = useState<User | null>(null);
  const [signedOut, setSignedOut] = useState(false);

  useEffect(() => onSessionChange(setSession), []);

  const token = session?.accessToken ?? null;
  const loggedIn = token !== null;
  useEffect(() => {
    if (!loggedIn) return undefined;
    let cancelled = false;
    authApi.me().then(
      (u) => {
        if (!cancelled) setUser(u);
      },
      () => {
        /* a 401 sends the user to login; other errors leave the user unknown */
      },
    );
    return () => {
      cancelled = true;
    };
  }, [loggedIn]);

  // Refresh proactively, even when the page is idle (no requests to trigger it).
  useEffect(() => {
    if (!loggedIn) return undefined;
    const t = window.setInterval(() => {
      ensureFreshToken().catch(() => undefined);
    }, 15_000);
    return () => window.clearInterval(t);
  }, [loggedIn]);

  const login = useCallback(async (username: string, password: string) => {
    await authApi.login(username, password);
    setSignedOut(false);
    setUser(await authApi.me());
  }, []);
  const logout = useCallback(() => {
    setSignedOut(true);
    authApi.logout();
    setUser(null);
  }, []);

  const value = useMemo<AuthState>(
    () => ({
      session,
      user: loggedIn ? user : null,
      isAdmin: loggedIn && user?.role === 'admin',
      signedOut,
      login,
      logout,
    }),
    [session, user, loggedIn, signedOut, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}
