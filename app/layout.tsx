import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { TopNav } from '../components/nav/top-nav.tsx';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Strata', template: '%s · Strata' },
  description: 'Search, tail and chart your logs.',
};

export const viewport: Viewport = { colorScheme: 'light dark' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <body>
        <TopNav />
        <main className="main">{children}</main>
      </body>
    </html>
  );
}
