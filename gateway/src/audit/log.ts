// The audit log: append (serialized, hash-chained), verify, search.
// Appends are serialized in-process by a promise queue; on PostgreSQL a transaction-scoped
// advisory lock also serializes gateway instances sharing the database. The unique `seq` and
// `prevHash` columns make a fork impossible even if both guards were bypassed: the loser of a
// race fails its insert and retries on the new head.

import type { Db, Provider } from '../db/client.js';
import type { Logger } from '../log.js';
import { type ChainedFields, GENESIS_HASH, hashEvent } from './chain.js';
import { redact } from './redact.js';

export interface AuditEntry {
  actorId: string | null;
  actorName: string | null;
  action: string;
  hostId?: string | null;
  hostName?: string | null;
  target?: string | null;
  params?: unknown;
  result: 'ok' | 'error';
  error?: string | null;
  clientIp?: string | null;
}

/** A stored event: the chained fields, its row id and its own hash. */
export interface AuditEventRow extends ChainedFields {
  id: number;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  hostId?: string;
  hostIds?: string[];
  target?: string;
  from?: Date;
  to?: Date;
}

export interface VerifyResult {
  ok: boolean;
  count: number;
  firstBrokenId?: number;
  firstBrokenSeq?: number;
  reason?: string;
}

const ADVISORY_LOCK_KEY = 0x62657274; // "bert"
const PAGE = 1000;

export class AuditLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly provider: Provider,
    private readonly log?: Logger,
  ) {}

  /** Appends one event; resolves once it is durably chained. */
  append(entry: AuditEntry): Promise<AuditEventRow> {
    const run = this.tail.then(() => this.appendWithRetry(entry));
    this.tail = run.catch(() => {});
    return run;
  }

  private async appendWithRetry(entry: AuditEntry): Promise<AuditEventRow> {
    const params = JSON.stringify(redact(entry.params ?? {}));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.$transaction(async (tx) => {
          if (this.provider === 'postgresql') {
            await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`);
          }
          const head = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
          const fields = {
            seq: (head?.seq ?? 0) + 1,
            // Millisecond precision survives both SQLite and PostgreSQL unchanged.
            time: new Date(),
            actorId: entry.actorId,
            actorName: entry.actorName,
            action: entry.action,
            hostId: entry.hostId ?? null,
            hostName: entry.hostName ?? null,
            target: entry.target ?? null,
            params,
            result: entry.result,
            error: entry.error ?? null,
            clientIp: entry.clientIp ?? null,
            prevHash: head?.hash ?? GENESIS_HASH,
          };
          return tx.auditEvent.create({ data: { ...fields, hash: hashEvent(fields) } });
        });
      } catch (err) {
        const unique = (err as { code?: string }).code === 'P2002';
        if (!unique || attempt >= 5) throw err;
        this.log?.warn({ attempt }, 'audit append raced another writer; retrying on the new head');
      }
    }
  }

  /** Waits for every append queued so far (tests, shutdown). */
  async flush(): Promise<void> {
    await this.tail;
  }

  /** Recomputes the whole chain; names the first event whose position, link or hash is wrong. */
  async verify(): Promise<VerifyResult> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let cursor = 0;
    for (;;) {
      const page = await this.db.auditEvent.findMany({
        where: { seq: { gt: cursor } },
        orderBy: { seq: 'asc' },
        take: PAGE,
      });
      if (page.length === 0) return { ok: true, count };
      for (const row of page) {
        const broken = (reason: string): VerifyResult => ({
          ok: false,
          count,
          firstBrokenId: row.id,
          firstBrokenSeq: row.seq,
          reason,
        });
        if (row.seq !== expectedSeq)
          return broken(`expected event #${expectedSeq} before #${row.seq}: events are missing`);
        if (row.prevHash !== prevHash) return broken(`event #${row.seq} does not link to the event before it`);
        if (hashEvent(row) !== row.hash)
          return broken(`event #${row.seq} was altered: its hash does not match its contents`);
        prevHash = row.hash;
        expectedSeq++;
        count++;
        cursor = row.seq;
      }
    }
  }

  private where(f: AuditFilter) {
    return {
      ...(f.actor ? { actorName: f.actor } : {}),
      ...(f.action ? (f.action.endsWith('.') ? { action: { startsWith: f.action } } : { action: f.action }) : {}),
      ...(f.hostId ? { hostId: f.hostId } : f.hostIds ? { hostId: { in: f.hostIds } } : {}),
      ...(f.target ? { target: { contains: f.target } } : {}),
      ...(f.from || f.to ? { time: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
    };
  }

  /** Newest first; `cursor` is the id of the last event of the previous page. */
  async list(f: AuditFilter, opts: { cursor?: number; limit?: number } = {}) {
    const limit = Math.min(opts.limit ?? 100, 1000);
    const rows = await this.db.auditEvent.findMany({
      where: { ...this.where(f), ...(opts.cursor ? { id: { lt: opts.cursor } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    const events = rows.slice(0, limit);
    return { events, nextCursor: rows.length > limit ? events[events.length - 1]!.id : null };
  }

  /** Oldest first, page by page, for exports of any size. */
  async *iterate(f: AuditFilter): AsyncGenerator<AuditEventRow> {
    let cursor = 0;
    for (;;) {
      const page = await this.db.auditEvent.findMany({
        where: { ...this.where(f), id: { gt: cursor } },
        orderBy: { id: 'asc' },
        take: PAGE,
      });
      if (page.length === 0) return;
      yield* page;
      cursor = page[page.length - 1]!.id;
    }
  }
}
