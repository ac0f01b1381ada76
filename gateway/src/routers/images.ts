// Images on a host. Uploads (docker load / import of a tarball) are streamed over plain HTTP:
// see http/images.ts (POST /api/hosts/:hostId/images/load|import).
import { z } from 'zod';
import { imageSummary } from '../docker/map.js';
import { hostProcedure, router } from '../trpc.js';

const hostId = z.string().min(1).max(64);
const id = z.string().min(1).max(512);
const TIMEOUT_MS = 60_000;

export const imagesRouter = router({
  list: hostProcedure('viewer')
    .input(z.object({ hostId }))
    .query(({ ctx, input }) =>
      ctx.services.hosts.call(input.hostId, async (d, signal) =>
        (await d.listImages({ abortSignal: signal } as object)).map(imageSummary),
      ),
    ),

  remove: hostProcedure('operator')
    .input(z.object({ hostId, id, force: z.boolean().default(false), noprune: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const result = (await ctx.services.hosts.call(
        input.hostId,
        (d) => d.getImage(input.id).remove({ force: input.force, noprune: input.noprune }),
        { timeoutMs: TIMEOUT_MS },
      )) as { Untagged?: string; Deleted?: string }[];
      return {
        untagged: result.flatMap((r) => (r.Untagged ? [r.Untagged] : [])),
        deleted: result.flatMap((r) => (r.Deleted ? [r.Deleted] : [])),
      };
    }),

  tag: hostProcedure('operator')
    .input(
      z.object({
        hostId,
        id,
        repo: z
          .string()
          .regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*$/, 'a repository name (lowercase)')
          .max(255),
        tag: z
          .string()
          .regex(/^[\w][\w.-]{0,127}$/)
          .default('latest'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(
        input.hostId,
        (d) => d.getImage(input.id).tag({ repo: input.repo, tag: input.tag }),
        {
          timeoutMs: TIMEOUT_MS,
        },
      );
      return { ok: true as const, reference: `${input.repo}:${input.tag}` };
    }),
});
