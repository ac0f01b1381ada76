'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, LoadingRows, TableState } from '@/components/States';
import { HostStatusBadge } from '@/components/StatusBadge';
import { formatAgo } from '@/lib/format';
import { useMe } from '@/lib/me';
import { useTRPC } from '@/lib/trpc';

function Metric({ label, value, tone }: { label: string; value: string | number; tone?: string }) {
  return (
    <div className="card metric">
      <span className="label">{label}</span>
      <span className="value" style={tone ? { color: `var(--${tone})` } : undefined}>
        {value}
      </span>
    </div>
  );
}

export default function DashboardPage() {
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: 10_000 });
  const shells = useQuery({ ...trpc.shells.list.queryOptions({ live: true }), refetchInterval: 10_000 });
  const isAdmin = !!useMe().user?.isAdmin;
  // The whole trail is for gateway administrators; others do not get the panel.
  const audit = useQuery({ ...trpc.audit.list.queryOptions({ limit: 10 }), enabled: isAdmin });

  const list = hosts.data ?? [];
  const up = list.filter((h) => h.health?.status === 'up');
  const sum = (k: 'running' | 'stopped' | 'paused') => up.reduce((n, h) => n + (h.health?.containers?.[k] ?? 0), 0);
  const down = list.length - up.length;

  return (
    <>
      <PageHead title="Dashboard" sub="Every host this account can see, and what is running on it." />
      <div className="metric-strip">
        <Metric
          label="Hosts up"
          value={hosts.data ? `${up.length} / ${list.length}` : '—'}
          tone={down ? 'warn' : undefined}
        />
        <Metric label="Running" value={hosts.data ? sum('running') : '—'} tone="ok" />
        <Metric label="Stopped" value={hosts.data ? sum('stopped') : '—'} />
        <Metric label="Paused" value={hosts.data ? sum('paused') : '—'} />
        <Metric
          label="Live shells"
          value={shells.data ? shells.data.sessions.length : '—'}
          tone={shells.data?.sessions.length ? 'danger' : undefined}
        />
      </div>
      <div className="dash-grid">
        <div className="card">
          <div className="card-head">
            <h2>Hosts</h2>
            <Link href="/containers" className="btn sm">
              All containers
            </Link>
          </div>
          <div className="table-wrap">
            <table className="table" data-testid="hosts-table">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Status</th>
                  <th>Version</th>
                  <th className="num">Running</th>
                  <th className="num">Stopped</th>
                  <th className="num">Paused</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {hosts.isPending ? (
                  <LoadingRows cols={7} rows={3} />
                ) : hosts.isError ? (
                  <TableState cols={7}>
                    <ErrorState error={hosts.error} retry={() => hosts.refetch()} />
                  </TableState>
                ) : list.length === 0 ? (
                  <TableState cols={7}>
                    <EmptyState title="No hosts yet">
                      An administrator adds hosts under <Link href="/hosts">Hosts</Link>; or you have no grant on any.
                    </EmptyState>
                  </TableState>
                ) : (
                  list.map((h) => {
                    const c = h.health?.containers;
                    const isUp = h.health?.status === 'up';
                    return (
                      <tr key={h.id} data-testid="host-row" data-host={h.name} data-status={h.health?.status}>
                        <td>
                          <Link href={`/containers?host=${encodeURIComponent(h.id)}`}>{h.name}</Link>
                          {!isUp && h.health?.error ? (
                            <div
                              className="truncate"
                              style={{ color: 'var(--danger)', fontSize: 11.5, maxWidth: 320 }}
                              title={h.health.error}
                            >
                              {h.health.error}
                            </div>
                          ) : null}
                        </td>
                        <td>
                          <HostStatusBadge status={h.health?.status} />
                        </td>
                        <td className="mono">{h.health?.version ?? '—'}</td>
                        <td className="num">{isUp ? (c?.running ?? 0) : '—'}</td>
                        <td className="num">{isUp ? (c?.stopped ?? 0) : '—'}</td>
                        <td className="num">{isUp ? (c?.paused ?? 0) : '—'}</td>
                        <td className="muted nowrap">{formatAgo(h.health?.lastSeen)}</td>
                      </tr>
                    );
                  })
                )}
              </tbody>
            </table>
          </div>
        </div>
        {isAdmin ? (
          <div className="card">
            <div className="card-head">
              <h2>Recent activity</h2>
              <Link href="/audit" className="btn sm">
                Audit log
              </Link>
            </div>
            {audit.isPending ? (
              <table className="table">
                <tbody>
                  <LoadingRows cols={2} rows={5} />
                </tbody>
              </table>
            ) : audit.isError ? (
              <ErrorState error={audit.error} />
            ) : audit.data.events.length === 0 ? (
              <EmptyState title="Nothing recorded yet" />
            ) : (
              <table className="table">
                <tbody>
                  {audit.data.events.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <span className="mono">{e.action}</span>{' '}
                        <span className="muted">
                          by {e.actorName ?? 'system'}
                          {e.hostName ? ` on ${e.hostName}` : ''}
                        </span>
                      </td>
                      <td className="nowrap muted num">
                        {e.result !== 'ok' ? <span className="badge danger">{e.result}</span> : null}{' '}
                        {formatAgo(e.time)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ) : null}
      </div>
    </>
  );
}
