// Shells: a ticket to open (operator+), a ticket to reattach to one's own live session, and the
// recorded sessions. The shell itself runs over the WebSocket at /ws/shell (http/shell-socket.ts).
import { z } from 'zod';
import { atLeast, roleOnHost, rolesByHost } from '../auth/roles.js';
import type { SessionUser } from '../auth/sessions.js';
import type { Db } from '../db/client.js';
import { Errors } from '../errors.js';
import type { Services } from '../services.js';
import { hostProcedure, protectedProcedure, router } from '../trpc.js';

const sessionId = z.string().min(1).max(64);

type ExecRow = Awaited<ReturnType<Db['execSession']['findFirstOrThrow']>>;

function view(row: ExecRow, services: Services) {
  return {
    id: row.id,
    userId: row.userId,
    userName: row.userName,
    hostId: row.hostId,
    hostName: row.hostName,
    containerId: row.containerId,
    command: JSON.parse(row.command) as string[],
    execUser: row.execUser,
    status: (services.shells.liveState(row.id) ?? row.status) as string,
    live: services.shells.isLive(row.id),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    exitCode: row.exitCode,
    bytesIn: row.bytesIn,
    bytesOut: row.bytesOut,
    recorded: row.recordingKey !== null,
    error: row.error,
  };
}

/** Who may see a session and its recording: its user, an admin of its host, a gateway admin. */
export async function canViewSession(
  db: Db,
  user: SessionUser,
  row: { userId: string; hostId: string },
): Promise<boolean> {
  if (user.isAdmin || row.userId === user.id) return true;
  return atLeast(await roleOnHost(db, user, row.hostId), 'admin');
}

export const shellsRouter = router({
  open: hostProcedure('operator')
    .input(
      z.object({
        hostId: z.string().min(1).max(64),
        containerId: z.string().min(1).max(256),
        cmd: z.array(z.string().min(1).max(4096)).min(1).max(64).default(['/bin/sh']),
        user: z.string().max(256).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const opened = await ctx.services.shells.open(ctx.user, input);
      ctx.audit.target = input.containerId;
      ctx.audit.extra = { sessionId: opened.sessionId };
      return opened;
    }),

  reattach: protectedProcedure.input(z.object({ sessionId })).mutation(async ({ ctx, input }) => {
    const live = ctx.services.shells;
    const row = await ctx.services.db.execSession.findUnique({ where: { id: input.sessionId } });
    if (!row || row.userId !== ctx.user.id) throw Errors.NOT_FOUND('shell session', input.sessionId);
    ctx.audit.hostId = row.hostId;
    ctx.audit.target = row.containerId;
    if (!atLeast(await roleOnHost(ctx.services.db, ctx.user, row.hostId), 'operator')) {
      throw Errors.ROLE_REQUIRED('operator', row.hostName);
    }
    return live.reattach(ctx.user, input.sessionId);
  }),

  /** Newest first. Gateway admins see every session, host admins their hosts', others their own. */
  list: protectedProcedure
    .input(
      z
        .object({
          live: z.boolean().optional(),
          hostId: z.string().max(64).optional(),
          limit: z.number().int().min(1).max(500).default(100),
          cursor: z.string().max(64).optional(),
        })
        .default({ limit: 100 }),
    )
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      let scope = {};
      if (!ctx.user.isAdmin) {
        const adminOf = [...(await rolesByHost(db, ctx.user))].filter(([, r]) => r === 'admin').map(([h]) => h);
        scope = { OR: [{ userId: ctx.user.id }, { hostId: { in: adminOf } }] };
      }
      const rows = await db.execSession.findMany({
        where: {
          ...scope,
          ...(input.hostId ? { hostId: input.hostId } : {}),
          ...(input.live ? { status: { in: ['live', 'detached'] } } : {}),
        },
        orderBy: { createdAt: 'desc' },
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      });
      const page = rows.slice(0, input.limit);
      return {
        sessions: page.map((r) => view(r, ctx.services)),
        nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
      };
    }),

  get: protectedProcedure.input(z.object({ sessionId })).query(async ({ ctx, input }) => {
    const row = await ctx.services.db.execSession.findUnique({ where: { id: input.sessionId } });
    if (!row || !(await canViewSession(ctx.services.db, ctx.user, row)))
      throw Errors.NOT_FOUND('shell session', input.sessionId);
    return view(row, ctx.services);
  }),
});
