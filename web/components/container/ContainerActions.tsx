'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { Dialog } from '../Dialog';
import { Icon } from '../Icon';
import { InlineError } from '../States';

export function ContainerActions({
  hostId,
  id,
  name,
  running,
  paused,
  canOperate,
}: {
  hostId: string;
  id: string;
  name: string;
  running: boolean;
  paused: boolean;
  /** Viewers see the state but get no buttons the gateway would refuse. */
  canOperate: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirmRemove, setConfirmRemove] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.containers.pathKey() });
  const opts = { onSuccess: refresh };
  const start = useMutation(trpc.containers.start.mutationOptions(opts));
  const stop = useMutation(trpc.containers.stop.mutationOptions(opts));
  const restart = useMutation(trpc.containers.restart.mutationOptions(opts));
  const pause = useMutation(trpc.containers.pause.mutationOptions(opts));
  const unpause = useMutation(trpc.containers.unpause.mutationOptions(opts));
  const kill = useMutation(trpc.containers.kill.mutationOptions(opts));
  const remove = useMutation(
    trpc.containers.remove.mutationOptions({
      onSuccess: async () => {
        await refresh();
        router.push('/containers');
      },
    }),
  );
  const all = [start, stop, restart, pause, unpause, kill, remove];
  const busy = all.some((m) => m.isPending);
  const error = all.find((m) => m.error)?.error;
  const ref = { hostId, id };
  if (!canOperate) return <span className="badge plain">read-only: viewer</span>;
  return (
    <>
      <div className="row wrap" data-testid="container-actions">
        {!running ? (
          <button type="button" className="btn sm" disabled={busy} onClick={() => start.mutate(ref)}>
            <Icon name="play" size={12} /> Start
          </button>
        ) : (
          <>
            <button type="button" className="btn sm" disabled={busy} onClick={() => stop.mutate(ref)}>
              <Icon name="stop" size={12} /> Stop
            </button>
            <button type="button" className="btn sm" disabled={busy} onClick={() => restart.mutate(ref)}>
              <Icon name="restart" size={12} /> Restart
            </button>
            {paused ? (
              <button type="button" className="btn sm" disabled={busy} onClick={() => unpause.mutate(ref)}>
                Resume
              </button>
            ) : (
              <button type="button" className="btn sm" disabled={busy} onClick={() => pause.mutate(ref)}>
                <Icon name="pause" size={12} /> Pause
              </button>
            )}
            <button type="button" className="btn sm" disabled={busy} onClick={() => kill.mutate(ref)}>
              Kill
            </button>
          </>
        )}
        <button type="button" className="btn sm danger" disabled={busy} onClick={() => setConfirmRemove(true)}>
          <Icon name="trash" size={12} /> Remove
        </button>
      </div>
      {error ? <InlineError error={error} /> : null}
      <Dialog
        open={confirmRemove}
        title={`Remove ${name}?`}
        onClose={() => setConfirmRemove(false)}
        footer={
          <>
            <button type="button" className="btn" onClick={() => setConfirmRemove(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="btn primary"
              onClick={() => {
                setConfirmRemove(false);
                remove.mutate({ ...ref, force: running });
              }}
            >
              Remove
            </button>
          </>
        }
      >
        {running ? 'The container is running; it will be stopped and removed.' : 'The container will be removed.'}
      </Dialog>
    </>
  );
}
