// Teams, their members, and the per-host roles granted to them (gateway administrators only).
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { Errors } from '../errors.js';
import { adminProcedure, router } from '../trpc.js';

const id = z.string().min(1).max(64);
const teamName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'letters, digits, space and . _ - (max 64)');

async function team(ctx: { services: { db: import('../db/client.js').Db } }, teamId: string) {
  const found = await ctx.services.db.team.findUnique({ where: { id: teamId } });
  if (!found) throw Errors.NOT_FOUND('team', teamId);
  return found;
}

export const teamsRouter = router({
  list: adminProcedure.query(async ({ ctx }) => {
    const teams = await ctx.services.db.team.findMany({
      orderBy: { name: 'asc' },
      include: { memberships: { include: { user: true } }, grants: { include: { host: true } } },
    });
    return teams.map((t) => ({
      id: t.id,
      name: t.name,
      createdAt: t.createdAt,
      members: t.memberships.map((m) => ({ userId: m.userId, username: m.user.username })),
      grants: t.grants.map((g) => ({
        hostId: g.hostId,
        hostName: g.host.name,
        role: g.role as (typeof ROLES)[number],
      })),
    }));
  }),

  create: adminProcedure.input(z.object({ name: teamName })).mutation(async ({ ctx, input }) => {
    if (await ctx.services.db.team.findUnique({ where: { name: input.name } })) {
      throw Errors.CONFLICT(`team ${input.name} already exists`);
    }
    const created = await ctx.services.db.team.create({ data: { name: input.name } });
    return { id: created.id, name: created.name };
  }),

  remove: adminProcedure.input(z.object({ teamId: id })).mutation(async ({ ctx, input }) => {
    ctx.audit.target = (await team(ctx, input.teamId)).name;
    await ctx.services.db.team.delete({ where: { id: input.teamId } });
    return { ok: true as const };
  }),

  addMember: adminProcedure.input(z.object({ teamId: id, userId: id })).mutation(async ({ ctx, input }) => {
    const t = await team(ctx, input.teamId);
    const user = await ctx.services.db.user.findUnique({ where: { id: input.userId } });
    if (!user) throw Errors.NOT_FOUND('user', input.userId);
    ctx.audit.target = `${t.name}/${user.username}`;
    await ctx.services.db.membership.upsert({
      where: { teamId_userId: { teamId: t.id, userId: user.id } },
      create: { teamId: t.id, userId: user.id },
      update: {},
    });
    return { ok: true as const };
  }),

  removeMember: adminProcedure.input(z.object({ teamId: id, userId: id })).mutation(async ({ ctx, input }) => {
    const t = await team(ctx, input.teamId);
    ctx.audit.target = `${t.name}/${input.userId}`;
    await ctx.services.db.membership.deleteMany({ where: { teamId: t.id, userId: input.userId } });
    return { ok: true as const };
  }),

  /** Sets the team's role on a host (replacing any earlier grant). */
  grant: adminProcedure
    .input(z.object({ teamId: id, hostId: id, role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      const t = await team(ctx, input.teamId);
      const host = await ctx.services.db.host.findUnique({ where: { id: input.hostId } });
      if (!host) throw Errors.NOT_FOUND('host', input.hostId);
      ctx.audit.target = t.name;
      await ctx.services.db.hostGrant.upsert({
        where: { teamId_hostId: { teamId: t.id, hostId: host.id } },
        create: { teamId: t.id, hostId: host.id, role: input.role },
        update: { role: input.role },
      });
      return { ok: true as const };
    }),

  revoke: adminProcedure.input(z.object({ teamId: id, hostId: id })).mutation(async ({ ctx, input }) => {
    const t = await team(ctx, input.teamId);
    ctx.audit.target = t.name;
    await ctx.services.db.hostGrant.deleteMany({ where: { teamId: t.id, hostId: input.hostId } });
    return { ok: true as const };
  }),
});
