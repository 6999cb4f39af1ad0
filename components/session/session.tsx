'use client';
import { createContext, type ReactNode, useContext } from 'react';
import type { ClusterPrivilege, SecurityMe } from '../../lib/client/index.ts';

const SessionContext = createContext<SecurityMe | null>(null);

/** Who is signed in, as the node told the page's layout; null when the node could not be asked. */
export function SessionProvider({ me, children }: { me: SecurityMe | null; children: ReactNode }) {
  return <SessionContext.Provider value={me}>{children}</SessionContext.Provider>;
}

export function useSession(): SecurityMe | null {
  return useContext(SessionContext);
}

/**
 * May the signed-in user use controls that need `privilege`? Only decides what the page shows: the node checks
 * every request itself.
 */
export function useMay(privilege: ClusterPrivilege): boolean {
  return useSession()?.cluster.includes(privilege) ?? false;
}
