'use client';
import { useMutation } from '@tanstack/react-query';
import { errorMessage } from '@/lib/errors';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../Icon';

/** Re-walks the hash chain on the gateway and says whether any entry was altered or removed. */
export function VerifyButton() {
  const trpc = useTRPC();
  const verify = useMutation(trpc.audit.verify.mutationOptions());
  return (
    <div className="row">
      <button type="button" className="btn" onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="audit-verify">
        <Icon name="shield" /> {verify.isPending ? 'Verifying…' : 'Verify chain'}
      </button>
      {verify.data ? (
        verify.data.ok ? (
          <span className="badge ok" data-testid="audit-verify-result">
            intact · {verify.data.count} entries
          </span>
        ) : (
          <span className="badge danger" data-testid="audit-verify-result">
            broken at entry {verify.data.firstBrokenId} ({verify.data.count} checked)
          </span>
        )
      ) : null}
      {verify.error ? <span className="badge danger">{errorMessage(verify.error)}</span> : null}
    </div>
  );
}
