'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type BulkOutcome, runBulk } from '@/lib/bulk';
import type { ContainerRow } from '@/lib/containers';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import { Dialog } from '../Dialog';

type Action = 'start' | 'stop' | 'remove';
const VERB: Record<Action, string> = { start: 'Started', stop: 'Stopped', remove: 'Removed' };

export function BulkBar({ selected, onDone }: { selected: ContainerRow[]; onDone: () => void }) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [running, setRunning] = useState<{ action: Action; done: number } | null>(null);
  const [result, setResult] = useState<{ action: Action; outcomes: Array<BulkOutcome<ContainerRow>> } | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [force, setForce] = useState(false);

  async function run(action: Action) {
    setConfirmRemove(false);
    setResult(null);
    setRunning({ action, done: 0 });
    const outcomes = await runBulk(
      selected,
      (r) => {
        const ref = { hostId: r.hostId, id: r.id };
        if (action === 'start') return client.containers.start.mutate(ref);
        if (action === 'stop') return client.containers.stop.mutate(ref);
        return client.containers.remove.mutate({ ...ref, force });
      },
      { onProgress: (done) => setRunning({ action, done }) },
    );
    setRunning(null);
    setResult({ action, outcomes });
    await queryClient.invalidateQueries({ queryKey: trpc.containers.list.queryKey() });
    if (outcomes.every((o) => o.ok)) onDone();
  }

  const failed = result?.outcomes.filter((o) => !o.ok) ?? [];
  return (
    <>
      {selected.length > 0 ? (
        <div className="toolbar card" style={{ padding: '6px 10px' }} data-testid="bulk-bar">
          <strong>{selected.length} selected</strong>
          <button type="button" className="btn sm" disabled={!!running} onClick={() => run('start')}>
            Start
          </button>
          <button type="button" className="btn sm" disabled={!!running} onClick={() => run('stop')}>
            Stop
          </button>
          <button type="button" className="btn sm danger" disabled={!!running} onClick={() => setConfirmRemove(true)}>
            Remove…
          </button>
          {running ? (
            <span className="muted">
              {running.action}: {running.done}/{selected.length}
            </span>
          ) : null}
          <span className="spacer" />
          <button type="button" className="btn ghost sm" onClick={onDone}>
            Clear selection
          </button>
        </div>
      ) : null}
      {result ? (
        <div className={`alert ${failed.length ? 'error' : 'ok'}`} role="status">
          <div className="grow">
            {VERB[result.action]} {result.outcomes.length - failed.length} of {result.outcomes.length}.
            {failed.map((f) => (
              <div key={f.item.key}>
                {f.item.name} on {f.item.hostName}: {f.ok ? '' : f.error}
              </div>
            ))}
          </div>
          <button type="button" className="btn ghost sm" onClick={() => setResult(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      <Dialog
        open={confirmRemove}
        title={`Remove ${selected.length} container${selected.length === 1 ? '' : 's'}?`}
        onClose={() => setConfirmRemove(false)}
        footer={
          <>
            <button type="button" className="btn" onClick={() => setConfirmRemove(false)}>
              Cancel
            </button>
            <button type="button" className="btn primary" onClick={() => run('remove')}>
              Remove
            </button>
          </>
        }
      >
        <p style={{ margin: 0 }}>
          {selected
            .slice(0, 8)
            .map((r) => r.name)
            .join(', ')}
          {selected.length > 8 ? ` and ${selected.length - 8} more` : ''}
        </p>
        <label className="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
          Force (stop running containers first)
        </label>
      </Dialog>
    </>
  );
}
