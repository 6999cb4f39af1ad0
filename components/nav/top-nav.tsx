'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { signOut } from '../session/session-api.ts';
import { useSession } from '../session/session.tsx';
import { ThemeToggle } from './theme-toggle.tsx';

const LINKS = [
  { href: '/discover', label: 'Discover' },
  { href: '/tail', label: 'Live tail' },
  { href: '/agents', label: 'Agents' },
];

export function TopNav() {
  const path = usePathname();
  const me = useSession();
  const [leaving, setLeaving] = useState(false);
  const links = me?.cluster.includes('manage_security') ? [...LINKS, { href: '/security', label: 'Security' }] : LINKS;
  return (
    <header className="topnav">
      <span className="brand">Strata</span>
      <nav aria-label="Main">
        {links.map((l) => (
          <Link key={l.href} href={l.href} aria-current={path.startsWith(l.href) ? 'page' : undefined}>
            {l.label}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      <ThemeToggle />
      {me && (
        <span className="user" data-testid="current-user" title={`signed in as ${me.name}, role ${me.role ?? '—'}`}>
          <span className="uname">{me.name}</span>
          {me.role && <span className="role">{me.role}</span>}
        </span>
      )}
      <button
        className="btn"
        disabled={leaving}
        onClick={async () => {
          setLeaving(true);
          await signOut();
          window.location.assign('/login');
        }}
      >
        Log out
      </button>
    </header>
  );
}
