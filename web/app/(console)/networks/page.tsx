'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Suspense, useState } from 'react';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { HostPicker, useHostChoice } from '@/components/HostPicker';
import { Icon } from '@/components/Icon';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, InlineError, LoadingRows, TableState } from '@/components/States';
import { shortId } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

// The engine's own networks cannot be removed; hide the button rather than offer an error.
const BUILTIN = new Set(['bridge', 'host', 'none']);

function NetworksView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { hosts, list, chosen, select } = useHostChoice();
  const hostId = chosen?.id ?? '';
  const networks = useQuery({ ...trpc.networks.list.queryOptions({ hostId }), enabled: !!hostId });
  const [name, setName] = useState('');
  const [internal, setInternal] = useState(false);
  const [subnet, setSubnet] = useState('');
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.networks.list.queryKey() });
  const create = useMutation(
    trpc.networks.create.mutationOptions({
      onSuccess: () => {
        setName('');
        setSubnet('');
        return refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.networks.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );
  const rows = networks.data ?? [];
  const COLS = 6;

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ hostId, name: name.trim(), internal, subnet: subnet.trim() || undefined });
  }

  return (
    <>
      <PageHead title="Networks" sub={chosen ? `On ${chosen.name}` : undefined}>
        {list.length ? <HostPicker list={list} value={hostId} onChange={select} /> : null}
      </PageHead>
      {hosts.isError ? <ErrorState error={hosts.error} /> : null}
      <form className="toolbar" onSubmit={submit}>
        <input
          className="input mono"
          placeholder="new-network-name"
          aria-label="Network name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <input
          className="input mono"
          style={{ width: 150 }}
          placeholder="subnet (optional)"
          aria-label="Subnet"
          value={subnet}
          onChange={(e) => setSubnet(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> Internal (no
          outside access)
        </label>
        <button type="submit" className="btn primary" disabled={!hostId || !name.trim() || create.isPending}>
          <Icon name="plus" /> Create network
        </button>
      </form>
      <InlineError error={create.error} />
      <div className="card table-wrap">
        <table className="table" data-testid="networks-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Driver</th>
              <th>Subnet</th>
              <th>Scope</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.isPending || (networks.isPending && !!hostId) ? (
              <LoadingRows cols={COLS} />
            ) : !chosen ? (
              <TableState cols={COLS}>
                <EmptyState title="No hosts available" />
              </TableState>
            ) : networks.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={networks.error} title={`${chosen.name} failed`} retry={() => networks.refetch()} />
              </TableState>
            ) : rows.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title="No networks on this host" />
              </TableState>
            ) : (
              rows.map((n) => (
                <tr key={n.id}>
                  <td className="mono">
                    {n.name} {n.internal ? <span className="badge plain">internal</span> : null}
                  </td>
                  <td className="mono muted">{shortId(n.id)}</td>
                  <td>{n.driver}</td>
                  <td className="mono">{n.subnets.join(', ') || <span className="faint">—</span>}</td>
                  <td className="muted">{n.scope}</td>
                  <td style={{ textAlign: 'right' }}>
                    {BUILTIN.has(n.name) ? (
                      <span className="faint">built-in</span>
                    ) : (
                      <button type="button" className="btn sm ghost danger" onClick={() => setRemoving(n)}>
                        <Icon name="trash" size={12} /> Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <ConfirmDialog
        open={!!removing}
        title="Remove network?"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ hostId, id: removing.id })}
      >
        <div>
          <span className="mono">{removing?.name}</span> will be removed. Containers must be disconnected first.
        </div>
      </ConfirmDialog>
    </>
  );
}

export default function NetworksPage() {
  return (
    <Suspense>
      <NetworksView />
    </Suspense>
  );
}
