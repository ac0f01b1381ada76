'use client';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useDeferredValue, useMemo, useState } from 'react';
import { BulkBar } from '@/components/containers/BulkBar';
import {
  CONTAINER_TABLE_COLS,
  ContainerRows,
  ContainerTableHead,
  FailedHostRows,
} from '@/components/containers/ContainerTable';
import { ContainerToolbar } from '@/components/containers/ContainerToolbar';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, LoadingRows, TableState } from '@/components/States';
import {
  type ContainerFilter,
  distinct,
  EMPTY_FILTER,
  filterContainers,
  flattenHosts,
  type Sort,
  sortContainers,
  toggleSort,
} from '@/lib/containers';
import { useTRPC } from '@/lib/trpc';

function ContainersView() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const list = useQuery({ ...trpc.containers.list.queryOptions({ all: true }), refetchInterval: 5_000 });
  const [filter, setFilter] = useState<ContainerFilter>(() => ({
    ...EMPTY_FILTER,
    hostIds: params.get('host') ? [params.get('host') as string] : [],
    states: params.get('state') ? [params.get('state') as string] : [],
  }));
  const [sort, setSort] = useState<Sort>({ key: 'name', dir: 'asc' });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // Typing stays responsive with 1,000+ rows: the table re-filters at a lower priority.
  const deferredFilter = useDeferredValue(filter);

  const { rows, failures } = useMemo(() => flattenHosts(list.data?.hosts ?? []), [list.data]);
  // Sort once per data/sort change; a keystroke then only filters, which keeps the order.
  const sorted = useMemo(() => sortContainers(rows, sort), [rows, sort]);
  const shown = useMemo(() => filterContainers(sorted, deferredFilter), [sorted, deferredFilter]);
  const hosts = useMemo(() => (list.data?.hosts ?? []).map((h) => ({ id: h.hostId, name: h.hostName })), [list.data]);
  const images = useMemo(() => distinct(rows, (r) => r.image), [rows]);
  const shownFailures = filter.hostIds.length ? failures.filter((f) => filter.hostIds.includes(f.hostId)) : failures;

  const onToggle = useCallback((key: string) => {
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }, []);
  const selectedRows = rows.filter((r) => selected.has(r.key));
  const allSelected = shown.length > 0 && shown.every((r) => selected.has(r.key));

  const running = rows.filter((r) => r.state === 'running').length;
  return (
    <>
      <PageHead
        title="Containers"
        sub={
          list.data
            ? `${rows.length} on ${list.data.hosts.length - failures.length} host${list.data.hosts.length - failures.length === 1 ? '' : 's'} · ${running} running${failures.length ? ` · ${failures.length} host${failures.length === 1 ? '' : 's'} failed` : ''}`
            : undefined
        }
      />
      <ContainerToolbar
        filter={filter}
        onChange={setFilter}
        hosts={hosts}
        images={images}
        onRefresh={() => list.refetch()}
        refreshing={list.isFetching}
      />
      <BulkBar selected={selectedRows} onDone={() => setSelected(new Set())} />
      <div className="card table-wrap">
        <table className="table" data-testid="containers-table">
          <ContainerTableHead
            sort={sort}
            onSort={(k) => setSort((s) => toggleSort(s, k))}
            allSelected={allSelected}
            someSelected={selected.size > 0}
            onSelectAll={(on) => setSelected(on ? new Set(shown.map((r) => r.key)) : new Set())}
          />
          <tbody>
            {list.isPending ? (
              <LoadingRows cols={CONTAINER_TABLE_COLS} />
            ) : list.isError ? (
              <TableState cols={CONTAINER_TABLE_COLS}>
                <ErrorState error={list.error} retry={() => list.refetch()} />
              </TableState>
            ) : (
              <>
                <FailedHostRows failures={shownFailures} />
                <ContainerRows rows={shown} selected={selected} onToggle={onToggle} />
                {shown.length === 0 ? (
                  <TableState cols={CONTAINER_TABLE_COLS}>
                    {rows.length === 0 ? (
                      <EmptyState
                        title={failures.length ? 'No containers on the reachable hosts' : 'No containers yet'}
                      >
                        Run one with the <strong>Run container</strong> button.
                      </EmptyState>
                    ) : (
                      <EmptyState title="No containers match these filters">
                        <button type="button" className="btn sm" onClick={() => setFilter(EMPTY_FILTER)}>
                          Clear filters
                        </button>
                      </EmptyState>
                    )}
                  </TableState>
                ) : null}
              </>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

export default function ContainersPage() {
  return (
    <Suspense>
      <ContainersView />
    </Suspense>
  );
}
