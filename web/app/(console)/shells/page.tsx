'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, LoadingRows, TableState } from '@/components/States';
import { LiveBadge } from '@/components/StatusBadge';
import { formatAgo, formatDateTime, formatDuration, shortId, toDate } from '@/lib/format';
import { containerHref } from '@/lib/nav';
import { useTRPC } from '@/lib/trpc';

const COLS = 7;

export default function ShellsPage() {
  const trpc = useTRPC();
  const [liveOnly, setLiveOnly] = useState(false);
  const shells = useQuery({ ...trpc.shells.list.queryOptions(liveOnly ? { live: true } : {}), refetchInterval: 5_000 });
  return (
    <>
      <PageHead
        title="Shell sessions"
        sub="Every interactive shell opened through the console is recorded and can be replayed."
      >
        <fieldset className="btn-group" aria-label="Show">
          <button type="button" className="btn" aria-pressed={!liveOnly} onClick={() => setLiveOnly(false)}>
            All
          </button>
          <button type="button" className="btn" aria-pressed={liveOnly} onClick={() => setLiveOnly(true)}>
            Live now
          </button>
        </fieldset>
      </PageHead>
      <div className="card table-wrap">
        <table className="table" data-testid="shells-table">
          <thead>
            <tr>
              <th>Session</th>
              <th>User</th>
              <th>Host</th>
              <th>Container</th>
              <th>Command</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {shells.isPending ? (
              <LoadingRows cols={COLS} />
            ) : shells.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={shells.error} retry={() => shells.refetch()} />
              </TableState>
            ) : shells.data.sessions.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title={liveOnly ? 'No live sessions' : 'No shell sessions yet'}>
                  Open one from a container&apos;s Terminal tab.
                </EmptyState>
              </TableState>
            ) : (
              shells.data.sessions.map((s) => {
                const start = toDate(s.startedAt ?? s.createdAt);
                const end = toDate(s.endedAt) ?? new Date();
                return (
                  <tr key={s.id} data-testid="shell-row" data-session={s.id} data-live={s.live}>
                    <td className="nowrap">
                      <LiveBadge live={s.live} />{' '}
                      <Link href={`/shells/${s.id}`} className="mono">
                        {shortId(s.id)}
                      </Link>
                    </td>
                    <td>{s.userName}</td>
                    <td>{s.hostName}</td>
                    <td className="mono">
                      <Link href={containerHref(s.hostId, s.containerId)}>{shortId(s.containerId)}</Link>
                    </td>
                    <td className="mono truncate">
                      {s.command.join(' ')}
                      {s.execUser ? <span className="faint"> as {s.execUser}</span> : null}
                    </td>
                    <td className="nowrap muted" title={formatDateTime(start)}>
                      {formatAgo(start)}
                    </td>
                    <td className="nowrap mono">
                      {start ? formatDuration((end.getTime() - start.getTime()) / 1000) : '—'}
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
