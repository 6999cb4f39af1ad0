import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LiveTail } from '../../../components/tail/live-tail.tsx';

export const metadata: Metadata = { title: 'Live tail' };

export default function TailPage() {
  return (
    <Suspense fallback={<p className="muted pad">Loading live tail…</p>}>
      <LiveTail />
    </Suspense>
  );
}
