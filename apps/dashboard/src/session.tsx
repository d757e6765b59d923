/**
 * Sign-in: the pasted API key (or the admin key) lives in localStorage until sign-out, and is
 * sent only as a bearer header to this origin. No cookies, so no CSRF surface. The key's own
 * record (`GET /v1/key`) says who it is; a refused key signs the user out with a clear message.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, meQuery, type KeyInfo } from './lib/api';
import { isString, readJson, writeJson } from './lib/storage';

export interface Session {
  key: string;
  me: KeyInfo;
  isAdmin: boolean;
}

interface SessionContext {
  session: Session | undefined;
  /** The stored key while its record loads. */
  pendingKey: string | undefined;
  loading: boolean;
  /** Why the stored key was refused, if it was. */
  refused: string | undefined;
  signIn(key: string, me: KeyInfo): void;
  signOut(): void;
}

/** The key this browser keeps, if any. */
export function storedKey(): string | undefined {
  return readJson('key', isString);
}

const Context = createContext<SessionContext | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [key, setKey] = useState<string | undefined>(storedKey);
  const me = useQuery({ ...meQuery(key ?? ''), enabled: key !== undefined });
  const signIn = useCallback(
    (next: string, info: KeyInfo) => {
      writeJson('key', next);
      client.setQueryData(['me', next], info);
      setKey(next);
    },
    [client],
  );
  const signOut = useCallback(() => {
    writeJson('key', undefined);
    setKey(undefined);
    client.clear();
  }, [client]);
  const value = useMemo<SessionContext>(() => {
    const refused =
      me.error instanceof ApiError && me.error.status === 401
        ? 'The saved key was refused (unknown or revoked). Sign in again.'
        : undefined;
    const session =
      key !== undefined && me.data !== undefined && refused === undefined
        ? { key, me: me.data, isAdmin: me.data.role === 'admin' }
        : undefined;
    return {
      session,
      pendingKey: key,
      loading: key !== undefined && me.isPending,
      refused,
      signIn,
      signOut,
    };
  }, [key, me.data, me.error, me.isPending, signIn, signOut]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionContext {
  const value = useContext(Context);
  if (value === undefined) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for pages rendered behind the sign-in gate. */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (session === undefined) throw new Error('useSignedIn without a session');
  return session;
}
