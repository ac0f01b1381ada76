'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { InlineError } from '../States';

export function ChangePasswordForm({ forced, onDone }: { forced?: boolean; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [saved, setSaved] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        setCurrent('');
        setNext('');
        setAgain('');
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
        onDone?.();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    setMismatch(next !== again);
    if (next === again) change.mutate({ currentPassword: current, newPassword: next });
  }
  return (
    <form className="stack" onSubmit={submit} data-testid="change-password">
      {forced ? (
        <div className="alert warn">This account still has its initial password. Choose a new one to continue.</div>
      ) : null}
      <div className="field">
        <label htmlFor="pw-current">Current password</label>
        <input
          id="pw-current"
          className="input"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="pw-new">New password</label>
        <input
          id="pw-new"
          className="input"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="pw-again">New password again</label>
        <input
          id="pw-again"
          className="input"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
      </div>
      {mismatch ? <div className="alert error">The two new passwords differ.</div> : null}
      <InlineError error={change.error} />
      {saved ? <div className="alert ok">Password changed.</div> : null}
      <div className="form-actions">
        <button type="submit" className="btn primary" disabled={change.isPending}>
          {change.isPending ? 'Saving…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
