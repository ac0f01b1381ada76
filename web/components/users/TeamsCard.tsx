'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { ConfirmDialog } from '../ConfirmDialog';
import { Icon } from '../Icon';
import { EmptyState, ErrorState, InlineError, LoadingBlock } from '../States';
import { TeamCard } from './TeamCard';

export function TeamsCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const teams = useQuery(trpc.teams.list.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.teams.list.queryKey() });
  const create = useMutation(
    trpc.teams.create.mutationOptions({
      onSuccess: () => {
        setName('');
        return refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.teams.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim() });
  }

  return (
    <div className="stack">
      <div className="card">
        <div className="card-head">
          <h2>Teams and host grants</h2>
          <form className="row" onSubmit={submit}>
            <input
              className="input"
              style={{ height: 24 }}
              placeholder="new team name"
              aria-label="Team name"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
            <button type="submit" className="btn sm primary" disabled={!name.trim() || create.isPending}>
              <Icon name="plus" size={12} /> New team
            </button>
          </form>
        </div>
        <div className="card-body muted" style={{ fontSize: 12 }}>
          A user&apos;s role on a host is the strongest grant among their teams: <strong>viewer</strong> sees,{' '}
          <strong>operator</strong> also runs, stops and opens shells, <strong>admin</strong> also manages the
          host&apos;s images, volumes and networks.
        </div>
        <InlineError error={create.error} />
      </div>
      {teams.isPending ? (
        <LoadingBlock />
      ) : teams.isError ? (
        <ErrorState error={teams.error} retry={() => teams.refetch()} />
      ) : teams.data.length === 0 ? (
        <div className="card">
          <EmptyState title="No teams yet">Create a team, add members and grant it a role on hosts.</EmptyState>
        </div>
      ) : (
        <div className="host-cards" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(380px, 1fr))' }}>
          {teams.data.map((t) => (
            <TeamCard
              key={t.id}
              team={t}
              users={users.data ?? []}
              hosts={hosts.data ?? []}
              onChanged={refresh}
              onRemove={() => setRemoving({ id: t.id, name: t.name })}
            />
          ))}
        </div>
      )}
      <ConfirmDialog
        open={!!removing}
        title={`Delete team ${removing?.name ?? ''}?`}
        confirmLabel="Delete"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ teamId: removing.id })}
      >
        Members lose the host roles this team granted them.
      </ConfirmDialog>
    </div>
  );
}
