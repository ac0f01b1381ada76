// Named volumes on a host.
import { z } from 'zod';
import { volumeSummary } from '../docker/map.js';
import { hostProcedure, router } from '../trpc.js';

const hostId = z.string().min(1).max(64);
const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/);
const TIMEOUT_MS = 30_000;

export const volumesRouter = router({
  list: hostProcedure('viewer')
    .input(z.object({ hostId }))
    .query(({ ctx, input }) =>
      ctx.services.hosts.call(input.hostId, async (d, signal) => {
        const res = await d.listVolumes({ abortSignal: signal } as object);
        return (res.Volumes ?? []).map(volumeSummary);
      }),
    ),

  create: hostProcedure('operator')
    .input(
      z.object({
        hostId,
        name: name.optional(),
        driver: z.string().max(128).default('local'),
        labels: z.record(z.string().max(256), z.string().max(4096)).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const created = (await ctx.services.hosts.call(
        input.hostId,
        (d) =>
          d.createVolume({
            ...(input.name ? { Name: input.name } : {}),
            Driver: input.driver,
            Labels: input.labels ?? {},
          }),
        { timeoutMs: TIMEOUT_MS },
      )) as unknown as { Name: string };
      ctx.audit.target = created.Name;
      return { name: created.Name };
    }),

  remove: hostProcedure('operator')
    .input(z.object({ hostId, name, force: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(input.hostId, (d) => d.getVolume(input.name).remove({ force: input.force }), {
        timeoutMs: TIMEOUT_MS,
      });
      return { ok: true as const };
    }),
});
