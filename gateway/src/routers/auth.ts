// Sign-in, sign-out, who am I, change password. Every attempt is audited by the mutation
// middleware; this router tells it who the (claimed) actor was.
import { z } from 'zod';
import { assertStrongPassword, dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password.js';
import { rolesByHost } from '../auth/roles.js';
import { createSession, deleteSession, sessionCookieHeader } from '../auth/sessions.js';
import { Errors } from '../errors.js';
import { protectedProcedure, publicProcedure, router } from '../trpc.js';

const username = z.string().trim().min(1).max(64);

export const authRouter = router({
  login: publicProcedure
    .input(z.object({ username, password: z.string().min(1).max(1024) }))
    .mutation(async ({ ctx, input }) => {
      const { db, limiter, config } = ctx.services;
      ctx.audit.actorName = input.username;
      ctx.audit.actorId = null;
      ctx.audit.target = input.username;
      limiter.check(input.username, ctx.clientIp);
      const user = await db.user.findUnique({ where: { username: input.username } });
      // Verify against a dummy hash for unknown users: same cost, so timing reveals nothing.
      const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!user || user.disabled || !valid) {
        limiter.fail(input.username, ctx.clientIp);
        throw Errors.BAD_CREDENTIALS();
      }
      limiter.succeed(input.username, ctx.clientIp);
      ctx.audit.actorId = user.id;
      const session = await createSession(db, user.id, { clientIp: ctx.clientIp, userAgent: ctx.userAgent });
      ctx.setCookie(
        sessionCookieHeader(session.cookie, { expiresAt: session.expiresAt, secure: config.secureCookies }),
      );
      return {
        user: {
          id: user.id,
          username: user.username,
          isAdmin: user.isAdmin,
          mustChangePassword: user.mustChangePassword,
        },
        expiresAt: session.expiresAt,
      };
    }),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    if (ctx.auth?.kind === 'session') await deleteSession(ctx.services.db, ctx.auth.sessionId);
    ctx.setCookie(sessionCookieHeader('', { secure: ctx.services.config.secureCookies }));
    return { ok: true as const };
  }),

  me: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.user) return { user: null, hosts: [] };
    const roles = await rolesByHost(ctx.services.db, ctx.user);
    return {
      user: ctx.user,
      hosts: [...roles].map(([hostId, role]) => ({ hostId, role })),
    };
  }),

  changePassword: protectedProcedure
    .input(z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().max(1024) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const user = await db.user.findUniqueOrThrow({ where: { id: ctx.user.id } });
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) throw Errors.WRONG_PASSWORD();
      assertStrongPassword(input.newPassword);
      await db.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashPassword(input.newPassword), mustChangePassword: false },
      });
      // Every other session of this user ends: a password change is how people evict intruders.
      const keep = ctx.auth?.kind === 'session' ? ctx.auth.sessionId : '';
      await db.session.deleteMany({ where: { userId: user.id, id: { not: keep } } });
      return { ok: true as const };
    }),
});
