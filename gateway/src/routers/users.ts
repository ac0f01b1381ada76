// User administration (gateway administrators only).
import { z } from 'zod';
import { assertStrongPassword, hashPassword, randomPassword } from '../auth/password.js';
import { Errors } from '../errors.js';
import { adminProcedure, router } from '../trpc.js';

export const usernameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'letters, digits and . _ @ - (max 64)');

const userId = z.string().min(1).max(64);

function view(u: {
  id: string;
  username: string;
  isAdmin: boolean;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: Date;
  memberships?: { team: { id: string; name: string } }[];
}) {
  return {
    id: u.id,
    username: u.username,
    isAdmin: u.isAdmin,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    createdAt: u.createdAt,
    teams: (u.memberships ?? []).map((m) => ({ id: m.team.id, name: m.team.name })),
  };
}

export const usersRouter = router({
  list: adminProcedure.query(async ({ ctx }) => {
    const users = await ctx.services.db.user.findMany({
      orderBy: { username: 'asc' },
      include: { memberships: { include: { team: true } } },
    });
    return users.map(view);
  }),

  /** Without a password, a one-time password is generated, returned once, and must be changed. */
  create: adminProcedure
    .input(
      z.object({
        username: usernameSchema,
        password: z.string().max(1024).optional(),
        isAdmin: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      if (input.password !== undefined) assertStrongPassword(input.password);
      const password = input.password ?? randomPassword();
      if (await db.user.findUnique({ where: { username: input.username } })) {
        throw Errors.CONFLICT(`user ${input.username} already exists`);
      }
      const user = await db.user.create({
        data: {
          username: input.username,
          passwordHash: await hashPassword(password),
          isAdmin: input.isAdmin,
          mustChangePassword: input.password === undefined,
        },
      });
      ctx.audit.target = user.username;
      return { user: view(user), oneTimePassword: input.password === undefined ? password : null };
    }),

  update: adminProcedure
    .input(
      z.object({
        userId,
        isAdmin: z.boolean().optional(),
        disabled: z.boolean().optional(),
        /** Replace the password with a one-time password (returned once). */
        resetPassword: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const user = await db.user.findUnique({ where: { id: input.userId } });
      if (!user) throw Errors.NOT_FOUND('user', input.userId);
      ctx.audit.target = user.username;
      if (user.id === ctx.user.id && (input.isAdmin === false || input.disabled === true)) {
        throw Errors.CONFLICT('you cannot demote or disable yourself');
      }
      const oneTimePassword = input.resetPassword ? randomPassword() : null;
      const updated = await db.user.update({
        where: { id: user.id },
        data: {
          ...(input.isAdmin !== undefined ? { isAdmin: input.isAdmin } : {}),
          ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
          ...(oneTimePassword ? { passwordHash: await hashPassword(oneTimePassword), mustChangePassword: true } : {}),
        },
      });
      if (input.disabled || oneTimePassword) await db.session.deleteMany({ where: { userId: user.id } });
      return { user: view(updated), oneTimePassword };
    }),

  remove: adminProcedure.input(z.object({ userId })).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const user = await db.user.findUnique({ where: { id: input.userId } });
    if (!user) throw Errors.NOT_FOUND('user', input.userId);
    ctx.audit.target = user.username;
    if (user.id === ctx.user.id) throw Errors.CONFLICT('you cannot remove yourself');
    await db.user.delete({ where: { id: user.id } });
    return { ok: true as const };
  }),
});
