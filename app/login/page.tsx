import type { Metadata } from 'next';
import { LoginForm } from '../../components/login/login-form.tsx';

export const metadata: Metadata = { title: 'Log in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = (await searchParams).next;
  return (
    <main className="main login">
      <LoginForm next={typeof next === 'string' ? next : null} />
    </main>
  );
}
