'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Suspense, useState } from 'react';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { HostPicker, useHostChoice } from '@/components/HostPicker';
import { Icon } from '@/components/Icon';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, InlineError, LoadingRows, TableState } from '@/components/States';
import { formatAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

function VolumesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { hosts, list, chosen, select } = useHostChoice();
  const hostId = chosen?.id ?? '';
  const volumes = useQuery({ ...trpc.volumes.list.queryOptions({ hostId }), enabled: !!hostId });
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.volumes.list.queryKey() });
  const create = useMutation(
    trpc.volumes.create.mutationOptions({
      onSuccess: () => {
        setName('');
        return refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.volumes.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );
  const rows = volumes.data ?? [];
  const COLS = 5;

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ hostId, name: name.trim() });
  }

  return (
    <>
      <PageHead title="Volumes" sub={chosen ? `On ${chosen.name}` : undefined}>
        {list.length ? <HostPicker list={list} value={hostId} onChange={select} /> : null}
      </PageHead>
      {hosts.isError ? <ErrorState error={hosts.error} /> : null}
      <form className="toolbar" onSubmit={submit}>
        <input
          className="input mono"
          placeholder="new-volume-name"
          aria-label="Volume name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="btn primary" disabled={!hostId || !name.trim() || create.isPending}>
          <Icon name="plus" /> Create volume
        </button>
      </form>
      <InlineError error={create.error} />
      <div className="card table-wrap">
        <table className="table" data-testid="volumes-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Driver</th>
              <th>Mountpoint</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.isPending || (volumes.isPending && !!hostId) ? (
              <LoadingRows cols={COLS} />
            ) : !chosen ? (
              <TableState cols={COLS}>
                <EmptyState title="No hosts available" />
              </TableState>
            ) : volumes.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={volumes.error} title={`${chosen.name} failed`} retry={() => volumes.refetch()} />
              </TableState>
            ) : rows.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title="No volumes on this host" />
              </TableState>
            ) : (
              rows.map((v) => (
                <tr key={v.name}>
                  <td className="mono truncate" title={v.name}>
                    {v.name}
                  </td>
                  <td>{v.driver}</td>
                  <td className="mono truncate muted" title={v.mountpoint}>
                    {v.mountpoint}
                  </td>
                  <td className="muted nowrap">{formatAgo(v.createdAt)}</td>
                  <td style={{ textAlign: 'right' }}>
                    <button type="button" className="btn sm ghost danger" onClick={() => setRemoving(v.name)}>
                      <Icon name="trash" size={12} /> Remove
                    </button>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={!!removing}
        title="Remove volume?"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ hostId, name: removing })}
      >
        <div>
          <span className="mono">{removing}</span> and all its data will be deleted. A volume in use cannot be removed.
        </div>
      </ConfirmDialog>
    </>
  );
}

export default function VolumesPage() {
  return (
    <Suspense>
      <VolumesView />
    </Suspense>
  );
}
