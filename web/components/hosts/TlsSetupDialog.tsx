'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/lib/trpc';
import { CopyButton } from '../CopyButton';
import { Dialog } from '../Dialog';
import { ErrorState, LoadingBlock } from '../States';

/** Shows the command an operator runs on the new machine so berthd trusts (and is trusted by) this gateway. */
export function TlsSetupDialog({ host, onClose }: { host: { id: string; name: string } | null; onClose: () => void }) {
  const trpc = useTRPC();
  const setup = useQuery({ ...trpc.hosts.tlsSetup.queryOptions({ id: host?.id ?? '' }), enabled: !!host });
  const command = setup.data?.command ?? '';
  return (
    <Dialog open={!!host} title={`Set up berthd on ${host?.name ?? ''}`} onClose={onClose} wide>
      <p style={{ margin: 0 }}>
        Run this on the host as root. It installs the certificates issued by this gateway and starts berthd with mutual
        TLS; the host turns <strong>up</strong> here once the gateway can reach it.
      </p>
      {setup.isPending ? (
        <LoadingBlock />
      ) : setup.isError ? (
        <ErrorState error={setup.error} />
      ) : (
        <div className="command-box">
          <pre className="code-block mono" data-testid="tls-command">
            {command}
          </pre>
          <CopyButton text={command} />
        </div>
      )}
    </Dialog>
  );
}
