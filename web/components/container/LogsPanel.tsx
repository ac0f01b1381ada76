'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '@/lib/errors';
import { LogBuffer, splitMatches } from '@/lib/logBuffer';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../Icon';

const VIEW_LIMIT = 2_000; // lines in the DOM; the buffer keeps more and the download has them all

function Highlighted({ text, query }: { text: string; query: string }) {
  return (
    <>
      {splitMatches(text, query).map((p, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable line
        p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
      )}
    </>
  );
}

export function LogsPanel({ hostId, id, name }: { hostId: string; id: string; name: string }) {
  const trpc = useTRPC();
  const [tail, setTail] = useState<number | 'all'>(500);
  const [timestamps, setTimestamps] = useState(false);
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const paused = pausedAt != null;
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const bufferRef = useRef(new LogBuffer());
  const [tick, setTick] = useState(0);
  const frame = useRef(0);
  const scroller = useRef<HTMLDivElement>(null);

  // A new subscription (tail/timestamps changed) starts a fresh buffer.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the stream's input changes
  useEffect(() => {
    bufferRef.current = new LogBuffer();
    setTick((t) => t + 1);
  }, [hostId, id, tail, timestamps]);

  const sub = useSubscription(
    trpc.containers.logs.subscriptionOptions(
      { hostId, id, follow: true, tail, timestamps },
      {
        onData: (d) => {
          bufferRef.current.append(d.stream, d.time ? `${d.time} ${d.line}` : d.line);
          // Coalesce bursts into one render per animation frame.
          if (!frame.current) {
            frame.current = requestAnimationFrame(() => {
              frame.current = 0;
              setTick((t) => t + 1);
            });
          }
        },
      },
    ),
  );
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  // While paused the view stays on what was shown; new lines keep buffering behind it.
  const buffer = bufferRef.current;
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is the buffer's change signal
  const view = useMemo(() => buffer.view(query, VIEW_LIMIT, pausedAt ?? undefined), [buffer, query, pausedAt, tick]);
  const pending = pausedAt == null ? 0 : buffer.total - pausedAt;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && follow && !paused) el.scrollTop = el.scrollHeight;
  });

  function download() {
    const blob = new Blob([`${bufferRef.current.text()}\n`], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${name || id.slice(0, 12)}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  return (
    <div className="card logs-panel">
      <div className="card-head toolbar">
        <button
          type="button"
          className="btn sm"
          aria-pressed={paused}
          onClick={() => setPausedAt(paused ? null : bufferRef.current.total)}
          title={paused ? 'Resume the live view' : 'Freeze the view; lines keep arriving'}
        >
          <Icon name={paused ? 'play' : 'pause'} size={12} />{' '}
          {paused ? `Resume${pending ? ` (${pending} new)` : ''}` : 'Pause'}
        </button>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label className="check">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <select
          className="select"
          aria-label="Tail"
          value={tail}
          onChange={(e) => setTail(e.target.value === 'all' ? 'all' : Number(e.target.value))}
        >
          <option value={100}>last 100</option>
          <option value={500}>last 500</option>
          <option value={5000}>last 5,000</option>
          <option value="all">everything</option>
        </select>
        <input
          className="input search"
          type="search"
          placeholder="Search logs"
          aria-label="Search logs"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <span className="spacer" />
        <StreamStatus status={sub.status} error={sub.error} />
        <button type="button" className="btn sm" onClick={download} title="Download the buffered lines">
          <Icon name="download" size={12} /> Download
        </button>
      </div>
      <div className="log-view mono" ref={scroller} data-testid="log-view">
        {view.lines.length === 0 ? (
          <div className="faint" style={{ padding: 12 }}>
            {sub.status === 'connecting' || sub.status === 'idle'
              ? 'Connecting to the log stream…'
              : query
                ? 'No lines match.'
                : 'No output yet.'}
          </div>
        ) : (
          view.lines.map((l) => (
            <div key={l.seq} className={`log-line ${l.stream === 'stderr' ? 'stderr' : ''}`}>
              <Highlighted text={l.line} query={query} />
            </div>
          ))
        )}
      </div>
      <div className="log-foot faint">
        {query ? `${view.matched} matching · ` : ''}
        {bufferRef.current.size.toLocaleString()} lines buffered
        {view.matched > VIEW_LIMIT ? ` · showing the newest ${VIEW_LIMIT.toLocaleString()}` : ''}
      </div>
    </div>
  );
}

function StreamStatus({ status, error }: { status: string; error: unknown }) {
  if (status === 'error')
    return (
      <span className="badge danger" title={errorMessage(error)}>
        stream error
      </span>
    );
  if (status === 'pending') return <span className="badge ok live">live</span>;
  if (status === 'connecting') return <span className="badge warn">connecting</span>;
  return <span className="badge">{status}</span>;
}
