import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Discover } from '../../../components/discover/discover.tsx';

export const metadata: Metadata = { title: 'Discover' };

export default function DiscoverPage() {
  // The view lives in the URL (query, range, columns), read on the client: a link reproduces it.
  return (
    <Suspense fallback={<p className="muted pad">Loading Discover…</p>}>
      <Discover />
    </Suspense>
  );
}
