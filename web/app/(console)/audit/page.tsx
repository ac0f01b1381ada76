'use client';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Fragment, Suspense, useState } from 'react';
import { AuditFilters } from '@/components/audit/AuditFilters';
import { VerifyButton } from '@/components/audit/VerifyButton';
import { Icon } from '@/components/Icon';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, LoadingRows, TableState } from '@/components/States';
import { exportHref, filterFromParams, filterToInput, filterToParams, sessionOf } from '@/lib/audit';
import { formatDateTime, shortId } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const COLS = 6;

function AuditView() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filter = filterFromParams(new URLSearchParams(params.toString()));
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { ...filterToInput(filter), limit: 100 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const [open, setOpen] = useState<number | null>(null);
  const items = log.data?.pages.flatMap((p) => p.events) ?? [];

  return (
    <>
      <PageHead title="Audit log" sub="Every action through the gateway, hash-chained so tampering shows.">
        <VerifyButton />
        <a className="btn" href={exportHref('jsonl', filter)} download>
          <Icon name="download" /> JSONL
        </a>
        <a className="btn" href={exportHref('csv', filter)} download>
          <Icon name="download" /> CSV
        </a>
      </PageHead>
      <AuditFilters
        key={params.toString()}
        value={filter}
        hosts={hosts.data ?? []}
        onApply={(f) => router.replace(`${pathname}?${filterToParams(f).toString()}`)}
      />
      <div className="card table-wrap">
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Host</th>
              <th>Target</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {log.isPending ? (
              <LoadingRows cols={COLS} />
            ) : log.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={log.error} retry={() => log.refetch()} />
              </TableState>
            ) : items.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title="No entries match" />
              </TableState>
            ) : (
              items.map((e) => (
                <Fragment key={e.id}>
                  <tr
                    data-testid="audit-row"
                    data-action={e.action}
                    onClick={() => setOpen(open === e.id ? null : e.id)}
                    style={{ cursor: 'pointer' }}
                  >
                    <td className="nowrap mono">{formatDateTime(e.time)}</td>
                    <td>{e.actorName ?? <span className="faint">system</span>}</td>
                    <td className="mono">{e.action}</td>
                    <td>{e.hostName ?? <span className="faint">—</span>}</td>
                    <td className="mono truncate" title={e.target ?? ''}>
                      {e.target && /^[0-9a-f]{64}$/.test(e.target) ? shortId(e.target) : (e.target ?? '—')}
                      {sessionOf(e.params) ? (
                        <>
                          {' '}
                          <Link href={`/shells/${sessionOf(e.params)}`} onClick={(ev) => ev.stopPropagation()}>
                            replay
                          </Link>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {e.result === 'ok' ? (
                        <span className="badge ok">ok</span>
                      ) : (
                        <span className="badge danger">{e.result}</span>
                      )}
                    </td>
                  </tr>
                  {open === e.id ? (
                    <tr>
                      <td colSpan={COLS} style={{ height: 'auto', padding: 12 }}>
                        <dl className="kv">
                          <dt>Sequence</dt>
                          <dd className="mono">{e.seq}</dd>
                          <dt>Parameters</dt>
                          <dd className="mono">{e.params}</dd>
                          {e.error ? (
                            <>
                              <dt>Error</dt>
                              <dd style={{ color: 'var(--danger)' }}>{e.error}</dd>
                            </>
                          ) : null}
                          <dt>Client IP</dt>
                          <dd className="mono">{e.clientIp ?? '—'}</dd>
                          <dt>Hash</dt>
                          <dd className="mono">{e.hash}</dd>
                        </dl>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))
            )}
          </tbody>
        </table>
      </div>
      {log.hasNextPage ? (
        <div className="row" style={{ justifyContent: 'center' }}>
          <button type="button" className="btn" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>
            {log.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
          </button>
        </div>
      ) : null}
    </>
  );
}

export default function AuditPage() {
  return (
    <Suspense>
      <AuditView />
    </Suspense>
  );
}
