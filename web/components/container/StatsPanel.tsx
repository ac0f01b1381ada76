'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import { errorMessage } from '@/lib/errors';
import { formatBytes, formatPercent } from '@/lib/format';
import { niceMax } from '@/lib/sparkline';
import { useTRPC } from '@/lib/trpc';
import { Sparkline } from '../Sparkline';

type Sample = { cpuPercent: number; memUsage: number; memLimit: number; netRx: number; netTx: number; pids: number };
const WINDOW = 60; // samples kept (about a minute at the engine's 1 s stats cadence)

export function StatsPanel({ hostId, id, running }: { hostId: string; id: string; running: boolean }) {
  const trpc = useTRPC();
  const [samples, setSamples] = useState<Sample[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a different container starts a new series
  useEffect(() => setSamples([]), [hostId, id]);
  const sub = useSubscription(
    trpc.containers.stats.subscriptionOptions(
      { hostId, id },
      {
        enabled: running,
        onData: (s) => setSamples((prev) => [...prev.slice(-(WINDOW - 1)), s]),
      },
    ),
  );

  if (!running)
    return <div className="card card-body muted">Live stats are available while the container is running.</div>;
  if (sub.status === 'error') return <div className="alert error">Stats stream failed: {errorMessage(sub.error)}</div>;
  const last = samples.at(-1);
  // Axes follow the data (a mostly idle container would otherwise draw a flat line on the floor).
  const cpuMax = niceMax(
    samples.map((s) => s.cpuPercent),
    1,
  );
  const memMax = niceMax(
    samples.map((s) => s.memUsage),
    1024 * 1024,
  );
  return (
    <div className="stat-grid" data-testid="stats">
      <div className="card card-body stack">
        <div className="row">
          <div className="metric grow">
            <span className="label">CPU</span>
            <span className="value">{last ? formatPercent(last.cpuPercent) : '—'}</span>
          </div>
          <span className="faint">scale 0–{cpuMax}%</span>
        </div>
        <Sparkline values={samples.map((s) => s.cpuPercent)} max={cpuMax} color="var(--chart-cpu)" label="CPU usage" />
      </div>
      <div className="card card-body stack">
        <div className="row">
          <div className="metric grow">
            <span className="label">Memory</span>
            <span className="value">{last ? formatBytes(last.memUsage) : '—'}</span>
          </div>
          <span className="faint">
            scale 0–{formatBytes(memMax, 0)}
            {last?.memLimit ? ` · limit ${formatBytes(last.memLimit)}` : ''}
          </span>
        </div>
        <Sparkline values={samples.map((s) => s.memUsage)} max={memMax} color="var(--chart-mem)" label="Memory usage" />
      </div>
      <div className="card card-body">
        <dl className="kv">
          <dt>Network in</dt>
          <dd>{last ? formatBytes(last.netRx) : '—'}</dd>
          <dt>Network out</dt>
          <dd>{last ? formatBytes(last.netTx) : '—'}</dd>
          <dt>Processes</dt>
          <dd>{last?.pids ?? '—'}</dd>
          <dt>Samples</dt>
          <dd>{samples.length ? samples.length : <span className="faint">waiting for the first sample…</span>}</dd>
        </dl>
      </div>
    </div>
  );
}
