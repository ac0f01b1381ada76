'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, Suspense, useState } from 'react';
import { InlineError } from '@/components/States';
import { ThemeToggle } from '@/components/ThemeToggle';
import { safeNext } from '@/lib/nav';
import { useTRPC } from '@/lib/trpc';

function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const queryClient = useQueryClient();
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: () => {
        // Anything cached while signed out (auth.me above all) describes someone else.
        queryClient.clear();
        router.replace(safeNext(params.get('next')));
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    login.mutate({ username, password });
  }

  return (
    <form className="login-card" onSubmit={submit}>
      <div className="brand" style={{ padding: 0 }}>
        <span className="brand-mark">B</span>
        Sign in to Berth
      </div>
      <div className="field">
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          className="input"
          autoComplete="username"
          // biome-ignore lint/a11y/noAutofocus: the page's only purpose is this field
          autoFocus
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          className="input"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      <InlineError error={login.error} />
      <button type="submit" className="btn primary" disabled={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </button>
      <div className="row" style={{ justifyContent: 'center' }}>
        <ThemeToggle />
      </div>
    </form>
  );
}

export default function LoginPage() {
  return (
    <div className="login-wrap">
      <Suspense>
        <LoginForm />
      </Suspense>
    </div>
  );
}
