'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ConfirmDialog } from '../ConfirmDialog';
import { CopyButton } from '../CopyButton';
import { Dialog } from '../Dialog';
import { Icon } from '../Icon';
import { EmptyState, ErrorState, InlineError, LoadingRows, TableState } from '../States';

function NewUserDialog({
  open,
  onClose,
  onOneTimePassword,
}: {
  open: boolean;
  onClose: () => void;
  onOneTimePassword: (v: { username: string; password: string }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (res) => {
        void queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
        if (res.oneTimePassword) onOneTimePassword({ username: res.user.username, password: res.oneTimePassword });
        setUsername('');
        setPassword('');
        setIsAdmin(false);
        onClose();
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ username: username.trim(), password: password || undefined, isAdmin });
  }
  return (
    <Dialog open={open} title="New user" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor="nu-name">Username</label>
          <input
            id="nu-name"
            className="input"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="nu-pass">Initial password</label>
          <input
            id="nu-pass"
            className="input"
            type="password"
            minLength={12}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <span className="hint">
            At least 12 characters. Leave empty to generate a one-time password the user must change at first sign-in.
          </span>
        </div>
        <label className="check">
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} /> Administrator (all
          hosts, user and host management)
        </label>
        <InlineError error={create.error} />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={create.isPending}>
            Create user
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function UsersCard({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<{ id: string; username: string } | null>(null);
  const [oneTime, setOneTime] = useState<{ username: string; password: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (res) => {
        if (res.oneTimePassword) setOneTime({ username: res.user.username, password: res.oneTimePassword });
        return refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.users.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );
  const COLS = 6;
  return (
    <div className="card">
      <div className="card-head">
        <h2>Users</h2>
        <button type="button" className="btn sm primary" onClick={() => setCreating(true)}>
          <Icon name="plus" size={12} /> New user
        </button>
      </div>
      <InlineError error={update.error} />
      {oneTime ? (
        <div className="alert ok" style={{ margin: 12 }} data-testid="one-time-password">
          <div className="grow">
            One-time password for <strong>{oneTime.username}</strong> (shown once; they must change it at sign-in):
            <pre className="mono" style={{ marginTop: 6 }}>
              {oneTime.password}
            </pre>
          </div>
          <CopyButton text={oneTime.password} />
          <button type="button" className="btn ghost sm" onClick={() => setOneTime(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="table" data-testid="users-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Teams</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.isPending ? (
              <LoadingRows cols={COLS} rows={3} />
            ) : users.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={users.error} retry={() => users.refetch()} />
              </TableState>
            ) : users.data.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title="No users" />
              </TableState>
            ) : (
              users.data.map((u) => (
                <tr key={u.id} data-testid="user-row" data-user={u.username}>
                  <td>
                    <strong>{u.username}</strong> {u.id === meId ? <span className="faint">(you)</span> : null}
                  </td>
                  <td>
                    {u.isAdmin ? (
                      <span className="badge accent plain">admin</span>
                    ) : (
                      <span className="muted">team grants</span>
                    )}
                  </td>
                  <td>
                    {u.teams.length ? (
                      u.teams.map((t) => (
                        <span key={t.id} className="chip">
                          {t.name}
                        </span>
                      ))
                    ) : (
                      <span className="faint">—</span>
                    )}
                  </td>
                  <td>
                    {u.disabled ? (
                      <span className="badge danger">disabled</span>
                    ) : u.mustChangePassword ? (
                      <span className="badge warn">password change due</span>
                    ) : (
                      <span className="badge ok">active</span>
                    )}
                  </td>
                  <td className="muted nowrap">{formatAgo(u.createdAt)}</td>
                  <td className="nowrap" style={{ textAlign: 'right' }}>
                    {u.id !== meId ? (
                      <>
                        <button
                          type="button"
                          className="btn sm ghost"
                          disabled={update.isPending}
                          onClick={() => update.mutate({ userId: u.id, isAdmin: !u.isAdmin })}
                        >
                          {u.isAdmin ? 'Revoke admin' : 'Make admin'}
                        </button>
                        <button
                          type="button"
                          className="btn sm ghost"
                          disabled={update.isPending}
                          onClick={() => update.mutate({ userId: u.id, disabled: !u.disabled })}
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                        <button
                          type="button"
                          className="btn sm ghost"
                          disabled={update.isPending}
                          onClick={() => update.mutate({ userId: u.id, resetPassword: true })}
                        >
                          Reset password
                        </button>
                        <button
                          type="button"
                          className="btn sm ghost danger"
                          aria-label={`Delete ${u.username}`}
                          onClick={() => setRemoving(u)}
                        >
                          <Icon name="trash" size={12} />
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <NewUserDialog open={creating} onClose={() => setCreating(false)} onOneTimePassword={setOneTime} />
      <ConfirmDialog
        open={!!removing}
        title={`Delete ${removing?.username ?? ''}?`}
        confirmLabel="Delete"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ userId: removing.id })}
      >
        Their sessions and API tokens end now. Audit entries keep their name.
      </ConfirmDialog>
    </div>
  );
}
