/**
 * Who is signed in: an operator (the admin token) or a key holder (an API key). The token lives in
 * sessionStorage (gone when the tab closes) and never in the URL.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { call } from './api';

export type Role = 'admin' | 'user';

export interface Session {
  role: Role;
  token: string;
}

const storageKey = 'reelay.session';

function stored(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') as Session | null;
    return value && (value.role === 'admin' || value.role === 'user') && value.token ? value : null;
  } catch {
    return null;
  }
}

/** API keys look like `sk-…`; anything else is taken for the admin token. */
export const roleOf = (token: string): Role => (token.startsWith('sk-') ? 'user' : 'admin');

interface SessionContext {
  session: Session | null;
  signIn(token: string): Promise<void>;
  signOut(): void;
  /** The API keys created in this tab, newest first, kept in memory only, so the playground can run as one. */
  freshKeys: FreshKey[];
  rememberKey(key: FreshKey): void;
}

export interface FreshKey {
  /** Whose key and which ("Ada · playground"). */
  label: string;
  key: string;
}

const Context = createContext<SessionContext | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(stored);
  const [freshKeys, setFreshKeys] = useState<FreshKey[]>([]);
  const rememberKey = useCallback((key: FreshKey) => setFreshKeys((keys) => [key, ...keys]), []);

  const signIn = useCallback(async (raw: string) => {
    const token = raw.trim();
    const role = roleOf(token);
    // A cheap authenticated read proves the token before it is kept.
    await call(token, 'GET', role === 'admin' ? '/admin/v1/vendors' : '/v1/account');
    const next = { role, token };
    sessionStorage.setItem(storageKey, JSON.stringify(next));
    setSession(next);
  }, []);

  const signOut = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setSession(null);
    setFreshKeys([]);
  }, []);

  const value = useMemo(
    () => ({ session, signIn, signOut, freshKeys, rememberKey }),
    [session, signIn, signOut, freshKeys, rememberKey],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionContext {
  const context = useContext(Context);
  if (!context) throw new Error('useSession outside SessionProvider');
  return context;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type Api = <T>(method: Method, path: string, body?: unknown) => Promise<T>;

/** The signed-in session and a client carrying its token (pages render only when there is one). */
export function useSignedIn(): Session & { api: Api } {
  const { session } = useSession();
  const token = session?.token ?? '';
  const api = useCallback<Api>((method, path, body) => call(token, method, path, body), [token]);
  if (!session) throw new Error('not signed in');
  return { ...session, api };
}
