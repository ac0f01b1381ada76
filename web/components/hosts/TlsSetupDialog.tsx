'use client';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { CopyButton } from '../CopyButton';
import { Dialog } from '../Dialog';
import { ErrorState, LoadingBlock } from '../States';

/**
 * Shows what an operator runs on the new machine so berthd trusts (and is trusted by) this
 * gateway. Opening it issues a fresh server certificate — hosts.tlsSetup is a mutation and the
 * key is returned only this once — so it is requested once per opening, not on every render.
 */
export function TlsSetupDialog({ host, onClose }: { host: { id: string; name: string } | null; onClose: () => void }) {
  const trpc = useTRPC();
  const setup = useMutation(trpc.hosts.tlsSetup.mutationOptions());
  const [view, setView] = useState<'script' | 'dockerd'>('script');
  const { mutate, reset } = setup;
  useEffect(() => {
    if (host) mutate({ hostId: host.id });
    else reset();
  }, [host, mutate, reset]);
  const text = setup.data ? (view === 'script' ? setup.data.script : setup.data.dockerdCommand) : '';
  return (
    <Dialog open={!!host} title={`Set up berthd on ${host?.name ?? ''}`} onClose={onClose} wide>
      <p style={{ margin: 0 }}>
        Run this on the host as root. It writes the CA and a server certificate issued by this gateway to{' '}
        <span className="mono">/etc/berth/tls</span> and starts berthd accepting only clients of that CA. The host turns{' '}
        <strong>up</strong> here once the gateway can reach it.
      </p>
      {setup.isPending || setup.isIdle ? (
        <LoadingBlock label="Issuing a certificate…" />
      ) : setup.isError ? (
        <ErrorState error={setup.error} />
      ) : (
        <>
          <div className="row">
            <fieldset className="btn-group" aria-label="Engine">
              <button
                type="button"
                className="btn sm"
                aria-pressed={view === 'script'}
                onClick={() => setView('script')}
              >
                berthd setup script
              </button>
              <button
                type="button"
                className="btn sm"
                aria-pressed={view === 'dockerd'}
                onClick={() => setView('dockerd')}
              >
                stock dockerd
              </button>
            </fieldset>
            <span className="spacer" />
            <span className="muted">
              Endpoint to register: <span className="mono">{setup.data.hostUrl}</span>
            </span>
          </div>
          <div className="command-box">
            <pre className="code-block mono" data-testid="tls-command" style={{ maxHeight: '50vh' }}>
              {text}
            </pre>
            <CopyButton text={text} />
          </div>
          {view === 'script' ? (
            <p className="faint" style={{ margin: 0 }}>
              The command it ends with: <span className="mono">{setup.data.command}</span>
            </p>
          ) : null}
        </>
      )}
    </Dialog>
  );
}
