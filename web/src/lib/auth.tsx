import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ensureFreshToken, signOut } from './api-client';
import type { Schemas, TokenPair, User } from './api-types';
import { getSession, onSessionChange, setSessionFromTokens, type Session } from './session';

export type PasswordChange = Schemas['ChangePassword'];

/** The auth endpoints: login and a password change store the session's tokens, logout revokes them. */
export const authApi = {
  async login(username: string, password: string): Promise<Session> {
    const r = await api.post<TokenPair>('/api/v1/auth/login', { username, password });
    return setSessionFromTokens(r.data);
  },
  me: () => api.get<User>('/api/v1/auth/me').then((r) => r.data),
  /** Forgets the session at once (synchronously), then asks the server to revoke its tokens. */
  logout: (): Promise<void> => signOut(),
  /**
   * Change one's own password. The server revokes every earlier token of the user and answers with this
   * session's new pair, which replaces the stored one at once.
   */
  async changePassword(change: PasswordChange): Promise<Session> {
    const r = await api.post<TokenPair>('/api/v1/auth/password', change);
    return setSessionFromTokens(r.data);
  },
};

export const authKeys = { me: ['auth', 'me'] as const };

export interface AuthState {
  session: Session | null;
  user: User | null;
  isAdmin: boolean;
  /** True after an explicit sign-out (the login page then gets no ?next=). */
  signedOut: boolean;
  login: (username: string, password: string) => Promise<void>;
  /** Signs out locally at once; the promise settles when the server has revoked the tokens (or failed to). */
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

/**
 * Keeps the session, loads the current user, and refreshes the token before it expires. Signing in or
 * out empties the query cache, so nothing one operator loaded is shown to the next.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => getSession());
  const [signedOut, setSignedOut] = useState(false);

  useEffect(() => onSessionChange(setSession), []);

  const loggedIn = session !== null;
  // A 401 sends the user to login; other errors leave the user unknown.
  const me = useQuery({ queryKey: authKeys.me, queryFn: authApi.me, enabled: loggedIn });
  const user = me.data ?? null;

  // Refresh proactively, even when the page is idle (no requests to trigger it).
  useEffect(() => {
    if (!loggedIn) return undefined;
    const t = window.setInterval(() => {
      ensureFreshToken().catch(() => undefined);
    }, 15_000);
    return () => window.clearInterval(t);
  }, [loggedIn]);

  const login = useCallback(
    async (username: string, password: string) => {
      queryClient.clear();
      await authApi.login(username, password);
      setSignedOut(false);
      await queryClient.fetchQuery({ queryKey: authKeys.me, queryFn: authApi.me });
    },
    [queryClient],
  );
  const logout = useCallback(() => {
    setSignedOut(true);
    const revoked = authApi.logout();
    queryClient.clear();
    return revoked;
  }, [queryClient]);

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
