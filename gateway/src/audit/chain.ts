// The hash chain: each event's hash covers its own fields and the previous event's hash, so
// editing, deleting or reordering any row breaks every hash after it.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: number;
  time: Date;
  actorId: string | null;
  actorName: string | null;
  action: string;
  hostId: string | null;
  hostName: string | null;
  target: string | null;
  params: string;
  result: string;
  error: string | null;
  clientIp: string | null;
  prevHash: string;
}

/** A fixed-order array, not an object, so key order can never change a hash. */
export function hashEvent(e: ChainedFields): string {
  const canonical = JSON.stringify([
    1, // hash format version
    e.seq,
    e.time.toISOString(),
    e.actorId,
    e.actorName,
    e.action,
    e.hostId,
    e.hostName,
    e.target,
    e.params,
    e.result,
    e.error,
    e.clientIp,
    e.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
