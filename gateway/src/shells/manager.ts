// Owns the live shells of this gateway process: issues tickets (shells.open/reattach),
// turns an authenticated WebSocket into a session, ends sessions, and keeps the exec-session
// rows and the audit trail in step.
import type { WebSocket } from 'ws';
import type { AuditLog } from '../audit/log.js';
import { atLeast, roleOnHost } from '../auth/roles.js';
import type { SessionUser } from '../auth/sessions.js';
import type { Db } from '../db/client.js';
import { Errors } from '../errors.js';
import type { HostRegistry } from '../hosts/registry.js';
import type { Logger } from '../log.js';
import type { RecordingStore } from '../recording/store.js';
import { type SessionEnd, ShellSession, type ShellTimings } from './session.js';
import { type TicketClaims, TicketStore } from './tickets.js';

export interface OpenShellInput {
  hostId: string;
  containerId: string;
  cmd: string[];
  user?: string;
}

export class ShellManager {
  readonly tickets: TicketStore;
  private readonly live = new Map<string, ShellSession>();
  /** Per-session queue of row updates, so a late 'live' can never overwrite the final outcome. */
  private readonly rowWrites = new Map<string, Promise<unknown>>();
  private readonly timings: ShellTimings;

  constructor(
    private readonly deps: {
      db: Db;
      hosts: HostRegistry;
      recordings: RecordingStore;
      audit: AuditLog;
      log: Logger;
    },
    timings: Partial<ShellTimings> & { ticketTtlMs?: number } = {},
  ) {
    this.tickets = new TicketStore(timings.ticketTtlMs);
    this.timings = {
      graceMs: timings.graceMs ?? 30_000,
      pingIntervalMs: timings.pingIntervalMs ?? 15_000,
      echoWindowMs: timings.echoWindowMs,
    };
  }

  /** Sessions left live by a previous run of the gateway can never be reattached. */
  async recoverOrphans(): Promise<void> {
    await this.deps.db.execSession.updateMany({
      where: { status: { in: ['pending', 'live', 'detached'] } },
      data: { status: 'failed', endedAt: new Date(), error: 'gateway restarted' },
    });
  }

  async open(user: SessionUser, input: OpenShellInput) {
    const { db, hosts } = this.deps;
    const host = hosts.get(input.hostId);
    const container = await hosts.call(host.id, (d, signal) =>
      d.getContainer(input.containerId).inspect({ abortSignal: signal } as object),
    );
    if (!container.State.Running) throw Errors.CONFLICT(`container ${input.containerId} is not running`);
    const row = await db.execSession.create({
      data: {
        userId: user.id,
        userName: user.username,
        hostId: host.id,
        hostName: host.name,
        containerId: container.Id,
        command: JSON.stringify(input.cmd),
        execUser: input.user ?? null,
        status: 'pending',
      },
    });
    const { ticket, expiresAt } = this.tickets.issue({
      kind: 'open',
      sessionId: row.id,
      userId: user.id,
      hostId: host.id,
      containerId: container.Id,
      cmd: input.cmd,
      execUser: input.user ?? null,
    });
    return { ticket, sessionId: row.id, expiresAt };
  }

  /** A new ticket for a live (or dropped, within the grace period) session of the caller's. */
  async reattach(user: SessionUser, sessionId: string) {
    const session = this.live.get(sessionId);
    if (!session || session.state === 'ended') throw Errors.SESSION_GONE(sessionId);
    if (session.info.userId !== user.id) throw Errors.NOT_YOURS('shell session');
    const { info } = session;
    const { ticket, expiresAt } = this.tickets.issue({
      kind: 'reattach',
      sessionId,
      userId: user.id,
      hostId: info.hostId,
      containerId: info.containerId,
      cmd: info.command,
      execUser: info.execUser,
    });
    return { ticket, sessionId, expiresAt };
  }

  isLive(sessionId: string): boolean {
    const s = this.live.get(sessionId);
    return Boolean(s && s.state !== 'ended');
  }

  /** The in-memory state of a session still running here (null once it has ended). */
  liveState(sessionId: string): ShellSession['state'] | null {
    const state = this.live.get(sessionId)?.state ?? null;
    return state === 'ended' ? null : state;
  }

  /**
   * Binds an upgraded WebSocket to the session its (already consumed) ticket names. The role is
   * checked again: it may have been revoked since the ticket was issued.
   */
  async connect(ws: WebSocket, claims: TicketClaims, size: { cols: number; rows: number }): Promise<void> {
    const { db } = this.deps;
    // Frames that arrive while the user and role are looked up (keystrokes, a resize, a close)
    // are held here and handed to the session once it listens; ws drops events nobody hears.
    const held: [Buffer, boolean][] = [];
    let heldBytes = 0;
    const hold = (data: Buffer, isBinary: boolean) => {
      heldBytes += data.length;
      if (heldBytes <= 64 << 10) held.push([Buffer.from(data), isBinary]);
    };
    ws.on('message', hold);
    const handOver = () => {
      ws.off('message', hold);
      for (const [data, isBinary] of held.splice(0)) ws.emit('message', data, isBinary);
    };
    const fail = (message: string, code = 4403) => {
      ws.off('message', hold);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', message }));
      ws.close(code, message.slice(0, 120));
    };
    const user = await db.user.findUnique({ where: { id: claims.userId } });
    if (!user || user.disabled) return fail('user no longer exists or is disabled');
    const who = {
      id: user.id,
      username: user.username,
      isAdmin: user.isAdmin,
      mustChangePassword: user.mustChangePassword,
    };
    if (!atLeast(await roleOnHost(db, who, claims.hostId), 'operator'))
      return fail('operator role required on this host');

    if (claims.kind === 'reattach') {
      const session = this.live.get(claims.sessionId);
      if (!session || session.state === 'ended') return fail(`shell session ${claims.sessionId} has ended`, 4404);
      session.attach(ws);
      handOver();
      return;
    }
    const host = this.deps.hosts.find(claims.hostId);
    if (!host) return fail('host no longer exists', 4404);
    const session = new ShellSession(
      {
        id: claims.sessionId,
        userId: user.id,
        userName: user.username,
        hostId: host.id,
        hostName: host.name,
        containerId: claims.containerId,
        command: claims.cmd,
        execUser: claims.execUser,
      },
      {
        hosts: this.deps.hosts,
        recordings: this.deps.recordings,
        log: this.deps.log,
        timings: this.timings,
        onState: (s, state) => {
          void this.writeRow(
            s.info.id,
            state === 'live' ? { status: state, startedAt: s.started, recordingKey: s.info.id } : { status: state },
          ).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'shell state not saved'));
        },
        onEnd: (s, end) => this.persistEnd(s, end),
      },
      size,
    );
    this.live.set(session.info.id, session);
    try {
      // start() binds the socket before its first await, so the held frames reach the session.
      const started = session.start(ws);
      handOver();
      await started;
    } catch (err) {
      this.deps.log.info({ session: session.info.id, err: (err as Error).message }, 'shell failed to start');
      fail((err as Error).message, 1011);
    }
  }

  private writeRow(id: string, data: Parameters<Db['execSession']['update']>[0]['data']): Promise<unknown> {
    const next = (this.rowWrites.get(id) ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.deps.db.execSession.update({ where: { id }, data }));
    this.rowWrites.set(id, next);
    return next;
  }

  private async persistEnd(session: ShellSession, end: SessionEnd): Promise<void> {
    const { info } = session;
    await this.writeRow(info.id, {
      status: end.status,
      startedAt: end.startedAt,
      endedAt: new Date(),
      exitCode: end.exitCode,
      bytesIn: Math.min(end.bytesIn, 2 ** 31 - 1),
      bytesOut: Math.min(end.bytesOut, 2 ** 31 - 1),
      recordingKey: end.recordingKey,
      error: end.error,
    }).finally(() => {
      this.live.delete(info.id);
      this.rowWrites.delete(info.id);
    });
    // The shell's outcome joins the trail next to the shells.open that started it.
    await this.deps.audit.append({
      actorId: info.userId,
      actorName: info.userName,
      action: 'shells.end',
      hostId: info.hostId,
      hostName: info.hostName,
      target: info.containerId,
      params: {
        sessionId: info.id,
        cmd: info.command,
        exitCode: end.exitCode,
        bytesIn: end.bytesIn,
        bytesOut: end.bytesOut,
      },
      result: end.status === 'ended' ? 'ok' : 'error',
      error: end.error,
    });
  }

  async endForHost(hostId: string, reason: string): Promise<void> {
    await Promise.all(
      [...this.live.values()].filter((s) => s.info.hostId === hostId).map((s) => s.end({ error: reason })),
    );
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.live.values()].map((s) => s.end({ error: 'gateway shutting down' })));
  }
}
