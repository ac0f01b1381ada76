'use client';
import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '@/lib/errors';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../Icon';

/** Re-walks the hash chain on the gateway and says whether any entry was altered or removed.
 *  A query run on demand: verification reads the whole trail, so never in the background. */
export function VerifyButton() {
  const trpc = useTRPC();
  const verify = useQuery({
    ...trpc.audit.verify.queryOptions(),
    enabled: false,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
  const result = verify.data;
  return (
    <div className="row">
      <button
        type="button"
        className="btn"
        onClick={() => verify.refetch()}
        disabled={verify.isFetching}
        data-testid="audit-verify"
      >
        <Icon name="shield" /> {verify.isFetching ? 'Verifying…' : 'Verify chain'}
      </button>
      {result && !verify.isFetching ? (
        result.ok ? (
          <span className="badge ok" data-testid="audit-verify-result">
            intact · {result.count} entries
          </span>
        ) : (
          <span className="badge danger" data-testid="audit-verify-result" title={result.reason}>
            broken at entry #{result.firstBrokenSeq ?? result.firstBrokenId}: {result.reason ?? 'hash mismatch'}
          </span>
        )
      ) : null}
      {verify.error ? <span className="badge danger">{errorMessage(verify.error)}</span> : null}
    </div>
  );
}
