import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { ApiError, type SecurityMe } from '../../lib/client/index.ts';
import { TopNav } from '../../components/nav/top-nav.tsx';
import { SessionProvider } from '../../components/session/session.tsx';
import { nodeClientFor } from '../_server/node.ts';
import { SESSION_COOKIE } from '../_server/session-cookie.ts';

/**
 * The signed-in part of the dashboard. The node says whose the session is and what they may do, once per page
 * load; the nav and the pages show only the controls that allows (the node refuses the rest anyway).
 */
export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const h = await headers();
  const token = (await cookies()).get(SESSION_COOKIE)?.value ?? '';
  const toLogin = () => redirect(`/login?${new URLSearchParams({ next: h.get('x-strata-path') ?? '/discover' })}`);
  if (token === '') toLogin();
  let me: SecurityMe | null = null;
  let problem: string | null = null;
  try {
    me = await nodeClientFor(h, token).me();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) toLogin();
    problem = (e as Error).message;
  }
  return (
    <SessionProvider me={me}>
      <TopNav />
      <main className="main">
        {problem !== null && (
          <div className="state error" role="alert">
            Your session could not be checked: {problem}
          </div>
        )}
        {children}
      </main>
    </SessionProvider>
  );
}
