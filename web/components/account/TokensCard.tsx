'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { CopyButton } from '../CopyButton';
import { EmptyState, ErrorState, InlineError, LoadingRows, TableState } from '../States';

/** API tokens for scripts and CI (Authorization: Bearer). The secret is shown exactly once. */
export function TokensCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [name, setName] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: () => {
        setName('');
        return refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim() });
  }
  const COLS = 5;
  return (
    <div className="card">
      <div className="card-head">
        <h2>API tokens</h2>
        <form className="row" onSubmit={submit}>
          <input
            className="input"
            style={{ height: 24 }}
            placeholder="token name"
            aria-label="Token name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="btn sm primary" disabled={!name.trim() || create.isPending}>
            Create token
          </button>
        </form>
      </div>
      {create.data ? (
        <div className="alert ok" style={{ margin: 12 }}>
          <div className="grow">
            Copy this token now; it will not be shown again.
            <pre className="mono" style={{ marginTop: 6 }}>
              {create.data.token}
            </pre>
          </div>
          <CopyButton text={create.data.token} />
        </div>
      ) : null}
      <InlineError error={create.error ?? revoke.error} />
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.isPending ? (
            <LoadingRows cols={COLS} rows={2} />
          ) : tokens.isError ? (
            <TableState cols={COLS}>
              <ErrorState error={tokens.error} />
            </TableState>
          ) : tokens.data.length === 0 ? (
            <TableState cols={COLS}>
              <EmptyState title="No tokens" />
            </TableState>
          ) : (
            tokens.data.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td className="mono">{t.prefix}…</td>
                <td className="muted">{formatAgo(t.createdAt)}</td>
                <td className="muted">{t.lastUsedAt ? formatAgo(t.lastUsedAt) : 'never'}</td>
                <td style={{ textAlign: 'right' }}>
                  <button
                    type="button"
                    className="btn sm ghost danger"
                    onClick={() => revoke.mutate({ tokenId: t.id })}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
