// tRPC is set up once, here: the context, the error shape, and the procedure builders every
// router must use. Each builder records its access rule in `meta.access`, which the RBAC matrix
// test reads to call every procedure as every role.
//   publicProcedure          anyone
//   protectedProcedure       signed in
//   adminProcedure           gateway administrator (the global isAdmin flag)
//   hostProcedure(role)      at least `role` on the host named by `input.hostId`
// Every mutation, whatever its builder, is audited (success or failure) by the base middleware.
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { atLeast, type Role, roleOnHost } from './auth/roles.js';
import type { Context } from './context.js';
import { BerthError, Errors, errorCode } from './errors.js';

export type Access =
  | { kind: 'public' }
  | { kind: 'user' }
  | { kind: 'admin' }
  /** `withoutHost`: what a call without hostId means — 'admin' (needs a gateway admin) or
   * 'visible' (the procedure covers only hosts the caller holds a role on). */
  | { kind: 'host'; role: Role; withoutHost?: 'admin' | 'visible' };

export interface Meta {
  access: Access;
}

/** Filled in by procedures that know better than the input what the audit event should say. */
export interface AuditNote {
  actorId?: string | null;
  actorName?: string | null;
  target?: string | null;
  hostId?: string | null;
  extra?: Record<string, unknown>;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      const zod = error.cause instanceof z.ZodError ? error.cause.issues : undefined;
      return {
        ...shape,
        message: zod ? zod.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') : shape.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          berthCode: error instanceof BerthError ? error.berthCode : zod ? 'BAD_INPUT' : shape.data.code,
        },
      };
    },
    sse: {
      // Keeps log/stats streams alive through proxies that drop idle connections.
      ping: { enabled: true, intervalMs: 15_000 },
      client: { reconnectAfterInactivityMs: 20_000 },
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const TARGET_KEYS = [
  'id',
  'containerId',
  'name',
  'username',
  'userId',
  'teamId',
  'tokenId',
  'sessionId',
  'image',
  'repo',
];

function targetOf(input: Record<string, unknown>): string | null {
  for (const key of TARGET_KEYS) {
    const v = input[key];
    if (typeof v === 'string' && v) return v;
  }
  return null;
}

/** Writes one audit event per mutation, after it ran, with its outcome. */
const auditMutations = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation') return next({ ctx: { audit: {} as AuditNote } });
  const note: AuditNote = {};
  const result = await next({ ctx: { audit: note } });
  const raw = await getRawInput().catch(() => undefined);
  const input = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const hostId = note.hostId ?? (typeof input.hostId === 'string' ? input.hostId : null);
  const error = result.ok ? null : result.error;
  try {
    await ctx.services.audit.append({
      actorId: note.actorId !== undefined ? note.actorId : (ctx.user?.id ?? null),
      actorName: note.actorName !== undefined ? note.actorName : (ctx.user?.username ?? null),
      action: path,
      hostId,
      hostName: hostId ? (ctx.services.hosts.find(hostId)?.name ?? null) : null,
      target: note.target ?? targetOf(input),
      params: note.extra ? { ...input, ...note.extra } : input,
      result: error ? 'error' : 'ok',
      error: error ? `${errorCode(error)}: ${error.message}` : null,
      clientIp: ctx.clientIp,
    });
  } catch (err) {
    ctx.services.log.error({ err, action: path }, 'audit write failed');
    throw Errors.AUDIT_WRITE_FAILED(path);
  }
  return result;
});

const base = t.procedure.use(auditMutations);

const requireUser = t.middleware(({ ctx, path, next }) => {
  if (!ctx.user) throw Errors.NOT_SIGNED_IN();
  // A bootstrap or reset password is one-time: nothing but changing it (or leaving) is allowed.
  if (ctx.user.mustChangePassword && !['auth.changePassword', 'auth.logout', 'auth.me'].includes(path)) {
    throw Errors.PASSWORD_CHANGE_REQUIRED();
  }
  return next({ ctx: { user: ctx.user } });
});

export const publicProcedure = base.meta({ access: { kind: 'public' } });

export const protectedProcedure = base.meta({ access: { kind: 'user' } }).use(requireUser);

export const adminProcedure = base
  .meta({ access: { kind: 'admin' } })
  .use(requireUser)
  .use(({ ctx, next }) => {
    if (!ctx.user.isAdmin) throw Errors.ADMIN_REQUIRED();
    return next();
  });

/**
 * At least `role` on `input.hostId`. The check runs before input validation, on the raw input,
 * so an unauthorized caller learns nothing from validation errors.
 */
export function hostProcedure(role: Role, opts: { withoutHost?: 'admin' | 'visible' } = {}) {
  return base
    .meta({ access: { kind: 'host', role, ...(opts.withoutHost ? { withoutHost: opts.withoutHost } : {}) } })
    .use(requireUser)
    .use(async ({ ctx, getRawInput, next }) => {
      const raw = await getRawInput();
      const hostId = raw && typeof raw === 'object' ? (raw as { hostId?: unknown }).hostId : undefined;
      if (typeof hostId !== 'string' || !hostId) {
        if (opts.withoutHost === 'visible') return next({ ctx: { role: null as Role | null } });
        if (opts.withoutHost === 'admin' && ctx.user.isAdmin) return next({ ctx: { role: 'admin' as Role | null } });
        if (opts.withoutHost === 'admin') throw Errors.ADMIN_REQUIRED();
        throw Errors.BAD_INPUT('hostId is required');
      }
      const held = await roleOnHost(ctx.services.db, ctx.user, hostId);
      if (!atLeast(held, role)) {
        // Name the host only to someone who can already see it.
        const label = held ? (ctx.services.hosts.find(hostId)?.name ?? hostId) : hostId;
        throw Errors.ROLE_REQUIRED(role, label);
      }
      return next({ ctx: { role: held as Role | null } });
    });
}
