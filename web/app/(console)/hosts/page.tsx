'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { AddHostDialog } from '@/components/hosts/AddHostDialog';
import { TlsSetupDialog } from '@/components/hosts/TlsSetupDialog';
import { Icon } from '@/components/Icon';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, LoadingRows, TableState } from '@/components/States';
import { HostStatusBadge } from '@/components/StatusBadge';
import { formatAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

export default function HostsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: 10_000 });
  const [adding, setAdding] = useState(false);
  const [tlsFor, setTlsFor] = useState<{ id: string; name: string } | null>(null);
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
  const remove = useMutation(
    trpc.hosts.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );
  const COLS = 8;
  return (
    <>
      <PageHead title="Hosts" sub="Engines this gateway manages. Health is probed every few seconds.">
        <button type="button" className="btn primary" onClick={() => setAdding(true)}>
          <Icon name="plus" /> Add host
        </button>
      </PageHead>
      <div className="card table-wrap">
        <table className="table" data-testid="hosts-admin-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Endpoint</th>
              <th>TLS</th>
              <th>Health</th>
              <th>Version</th>
              <th className="num">Containers</th>
              <th>Last seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.isPending ? (
              <LoadingRows cols={COLS} rows={3} />
            ) : hosts.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={hosts.error} retry={() => hosts.refetch()} />
              </TableState>
            ) : hosts.data.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title="No hosts yet">Add the first engine with the Add host button.</EmptyState>
              </TableState>
            ) : (
              hosts.data.map((h) => {
                const c = h.health?.containers;
                return (
                  <tr key={h.id}>
                    <td>
                      <Link href={`/containers?host=${encodeURIComponent(h.id)}`}>{h.name}</Link>
                    </td>
                    <td className="mono truncate" title={h.url}>
                      {h.url}
                    </td>
                    <td>{h.tls ? <span className="badge ok plain">mTLS</span> : <span className="faint">—</span>}</td>
                    <td>
                      <HostStatusBadge status={h.health?.status} />
                      {h.health?.status === 'down' && h.health.error ? (
                        <div
                          className="truncate"
                          style={{ color: 'var(--danger)', fontSize: 11.5, maxWidth: 280 }}
                          title={h.health.error}
                        >
                          {h.health.error}
                        </div>
                      ) : null}
                    </td>
                    <td className="mono">{h.health?.version ?? '—'}</td>
                    <td className="num nowrap">{c ? `${c.running} / ${c.running + c.stopped + c.paused}` : '—'}</td>
                    <td className="muted nowrap">{formatAgo(h.health?.lastSeen)}</td>
                    <td className="nowrap" style={{ textAlign: 'right' }}>
                      {h.tls ? (
                        <button
                          type="button"
                          className="btn sm ghost"
                          onClick={() => setTlsFor({ id: h.id, name: h.name })}
                        >
                          <Icon name="shield" size={12} /> TLS setup
                        </button>
                      ) : null}
                      <button
                        type="button"
                        className="btn sm ghost danger"
                        onClick={() => setRemoving({ id: h.id, name: h.name })}
                      >
                        <Icon name="trash" size={12} /> Remove
                      </button>
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      <AddHostDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(h) => {
          setAdding(false);
          void refresh();
          if (h.tls) setTlsFor(h);
        }}
      />
      <TlsSetupDialog host={tlsFor} onClose={() => setTlsFor(null)} />
      <ConfirmDialog
        open={!!removing}
        title={`Remove ${removing?.name ?? ''}?`}
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ hostId: removing.id })}
      >
        The gateway stops managing this engine. Its containers keep running; its audit history is kept.
      </ConfirmDialog>
    </>
  );
}
