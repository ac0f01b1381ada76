'use client';
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { Icon } from '@/components/Icon';
import { PageHead } from '@/components/PageHead';
import { ErrorState, LoadingBlock } from '@/components/States';
import { LiveBadge } from '@/components/StatusBadge';
import { parseCast } from '@/lib/asciicast';
import { formatDateTime, shortId } from '@/lib/format';
import { containerHref } from '@/lib/nav';
import { useTRPC } from '@/lib/trpc';

const ReplayPlayer = dynamic(() => import('@/components/terminal/ReplayPlayer'), {
  ssr: false,
  loading: () => <LoadingBlock label="Loading player…" />,
});

async function fetchRecording(id: string) {
  const res = await fetch(`/api/shells/${encodeURIComponent(id)}/recording`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`recording unavailable (HTTP ${res.status}): ${(await res.text()).slice(0, 200)}`);
  return parseCast(await res.text());
}

export default function ShellReplayPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const session = useQuery(trpc.shells.get.queryOptions({ sessionId: id }));
  const recording = useQuery({
    queryKey: ['recording', id],
    queryFn: () => fetchRecording(id),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const href = `/api/shells/${encodeURIComponent(id)}/recording`;

  return (
    <>
      <div className="crumbs">
        <Link href="/shells">Shell sessions</Link> / <span className="mono">{shortId(id)}</span>
      </div>
      <PageHead
        title={`Session ${shortId(id)}`}
        sub={
          session.data ? (
            <>
              {session.data.userName} ran <span className="mono">{session.data.command.join(' ')}</span> in{' '}
              <Link href={containerHref(session.data.hostId, session.data.containerId)} className="mono">
                {shortId(session.data.containerId)}
              </Link>{' '}
              on {session.data.hostName} · {formatDateTime(session.data.startedAt ?? session.data.createdAt)}
            </>
          ) : undefined
        }
      >
        {session.data ? <LiveBadge live={session.data.live} /> : null}
        {session.data?.live ? (
          <button type="button" className="btn" onClick={() => recording.refetch()}>
            <Icon name="refresh" /> Load latest
          </button>
        ) : null}
        <a className="btn" href={href} download={`berth-session-${id}.cast`}>
          <Icon name="download" /> .cast
        </a>
      </PageHead>
      {session.isError ? <ErrorState error={session.error} /> : null}
      {recording.isPending ? (
        <LoadingBlock label="Loading recording…" />
      ) : recording.isError ? (
        <ErrorState error={recording.error} title="Cannot load the recording" retry={() => recording.refetch()} />
      ) : recording.data.events.length === 0 ? (
        <div className="card card-body muted">The recording is empty{session.data?.live ? ' so far' : ''}.</div>
      ) : (
        <ReplayPlayer key={recording.dataUpdatedAt} cast={recording.data} />
      )}
    </>
  );
}
