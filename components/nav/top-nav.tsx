'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { ThemeToggle } from './theme-toggle.tsx';

const LINKS = [
  { href: '/discover', label: 'Discover' },
  { href: '/tail', label: 'Live tail' },
  { href: '/agents', label: 'Agents' },
];

export function TopNav() {
  const path = usePathname();
  return (
    <header className="topnav">
      <span className="brand">Strata</span>
      <nav aria-label="Main">
        {LINKS.map((l) => (
          <Link key={l.href} href={l.href} aria-current={path.startsWith(l.href) ? 'page' : undefined}>
            {l.label}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      <ThemeToggle />
    </header>
  );
}
