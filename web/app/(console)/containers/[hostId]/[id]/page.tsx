'use client';
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useParams, useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { ContainerActions } from '@/components/container/ContainerActions';
import { InspectPanel } from '@/components/container/InspectPanel';
import { LogsPanel } from '@/components/container/LogsPanel';
import { StatsPanel } from '@/components/container/StatsPanel';
import { SummaryPanel } from '@/components/container/SummaryPanel';
import { ErrorState, LoadingBlock } from '@/components/States';
import { ContainerStateBadge } from '@/components/StatusBadge';
import { shortId } from '@/lib/format';
import { atLeast, useMe } from '@/lib/me';
import { useTRPC } from '@/lib/trpc';

// xterm touches `window` when it loads: the terminal is a client-only island.
const TerminalPanel = dynamic(() => import('@/components/terminal/TerminalPanel'), {
  ssr: false,
  loading: () => <div className="card card-body muted">Loading terminal…</div>,
});

const TABS = ['summary', 'logs', 'stats', 'terminal', 'inspect'] as const;
type Tab = (typeof TABS)[number];

function ContainerDetail() {
  const { hostId, id } = useParams<{ hostId: string; id: string }>();
  const search = useSearchParams();
  const router = useRouter();
  const tab: Tab = (TABS as readonly string[]).includes(search.get('tab') ?? '')
    ? (search.get('tab') as Tab)
    : 'summary';
  const trpc = useTRPC();
  const inspect = useQuery({ ...trpc.containers.inspect.queryOptions({ hostId, id }), refetchInterval: 5_000 });
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const hostName = hosts.data?.find((h) => h.id === hostId)?.name ?? hostId;
  const role = useMe().roleOn(hostId);
  const [terminalMounted, setTerminalMounted] = useState(tab === 'terminal');
  useEffect(() => {
    if (tab === 'terminal') setTerminalMounted(true);
  }, [tab]);

  if (inspect.isPending) return <LoadingBlock label="Loading container…" />;
  if (inspect.isError)
    return (
      <>
        <div className="crumbs">
          <Link href="/containers">Containers</Link> / <span>{shortId(id)}</span>
        </div>
        <ErrorState error={inspect.error} retry={() => inspect.refetch()} />
      </>
    );
  const doc = inspect.data;
  const name = doc.name || shortId(doc.id);
  const state = doc.state.status;
  return (
    <>
      <title>{`${name} · Berth`}</title>
      <div className="crumbs">
        <Link href="/containers">Containers</Link> /{' '}
        <Link href={`/containers?host=${encodeURIComponent(hostId)}`}>{hostName}</Link>
      </div>
      <div className="detail-head">
        <h1 data-testid="container-name">{name}</h1>
        <ContainerStateBadge state={state} />
        <span className="mono faint">{shortId(doc.id)}</span>
        <span className="spacer" />
        <ContainerActions
          hostId={hostId}
          id={id}
          name={name}
          running={doc.state.running}
          paused={doc.state.paused}
          canOperate={atLeast(role, 'operator')}
        />
      </div>
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            className="tab"
            aria-selected={tab === t}
            onClick={() => router.replace(`?tab=${t}`, { scroll: false })}
          >
            {t[0]?.toUpperCase()}
            {t.slice(1)}
          </button>
        ))}
      </div>
      {tab === 'summary' ? <SummaryPanel doc={doc} hostName={hostName} /> : null}
      {tab === 'logs' ? <LogsPanel hostId={hostId} id={id} name={name} /> : null}
      {tab === 'stats' ? <StatsPanel hostId={hostId} id={id} running={!!doc.state.running} /> : null}
      {tab === 'inspect' ? <InspectPanel data={inspect.data} /> : null}
      {/* Once opened, the terminal stays mounted (hidden) so switching tabs does not drop a live shell. */}
      {terminalMounted && doc.state.running ? (
        <div hidden={tab !== 'terminal'}>
          <TerminalPanel hostId={hostId} containerId={id} canOpen={atLeast(role, 'operator')} role={role} />
        </div>
      ) : null}
      {tab === 'terminal' && !doc.state.running ? (
        <div className="card card-body muted">Start the container to open a terminal in it.</div>
      ) : null}
    </>
  );
}

export default function ContainerPage() {
  return (
    <Suspense>
      <ContainerDetail />
    </Suspense>
  );
}
