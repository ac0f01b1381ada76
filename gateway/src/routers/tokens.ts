// The caller's own API tokens. The token value is returned once, by create.
import { z } from 'zod';
import { createApiToken } from '../auth/tokens.js';
import { Errors } from '../errors.js';
import { protectedProcedure, router } from '../trpc.js';

export const tokensRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => {
    return ctx.services.db.apiToken.findMany({
      where: { userId: ctx.user.id },
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, prefix: true, createdAt: true, expiresAt: true, lastUsedAt: true },
    });
  }),

  create: protectedProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        expiresInDays: z.number().int().min(1).max(3650).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
      const created = await createApiToken(ctx.services.db, ctx.user.id, input.name, expiresAt);
      ctx.audit.target = created.prefix;
      return { id: created.id, name: input.name, token: created.token, prefix: created.prefix, expiresAt };
    }),

  /** Revokes one of the caller's tokens (gateway administrators may revoke anyone's). */
  revoke: protectedProcedure
    .input(z.object({ tokenId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const token = await ctx.services.db.apiToken.findUnique({ where: { id: input.tokenId } });
      if (!token || (token.userId !== ctx.user.id && !ctx.user.isAdmin)) throw Errors.NOT_FOUND('token', input.tokenId);
      ctx.audit.target = token.prefix;
      await ctx.services.db.apiToken.delete({ where: { id: token.id } });
      return { ok: true as const };
    }),
});
