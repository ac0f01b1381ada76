// Networks on a host.
import { z } from 'zod';
import { networkSummary } from '../docker/map.js';
import { hostProcedure, router } from '../trpc.js';

const hostId = z.string().min(1).max(64);
const TIMEOUT_MS = 30_000;

export const networksRouter = router({
  list: hostProcedure('viewer')
    .input(z.object({ hostId }))
    .query(({ ctx, input }) =>
      ctx.services.hosts.call(input.hostId, async (d, signal) =>
        (await d.listNetworks({ abortSignal: signal } as object)).map(networkSummary),
      ),
    ),

  create: hostProcedure('operator')
    .input(
      z.object({
        hostId,
        name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/),
        driver: z.string().max(128).default('bridge'),
        internal: z.boolean().default(false),
        subnet: z.string().max(64).optional(),
        labels: z.record(z.string().max(256), z.string().max(4096)).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const network = await ctx.services.hosts.call(
        input.hostId,
        (d) =>
          d.createNetwork({
            Name: input.name,
            Driver: input.driver,
            Internal: input.internal,
            CheckDuplicate: true,
            Labels: input.labels ?? {},
            ...(input.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: input.subnet }] } } : {}),
          }),
        { timeoutMs: TIMEOUT_MS },
      );
      ctx.audit.extra = { networkId: network.id };
      return { id: network.id as string, name: input.name };
    }),

  remove: hostProcedure('operator')
    .input(z.object({ hostId, id: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(input.hostId, (d) => d.getNetwork(input.id).remove(), { timeoutMs: TIMEOUT_MS });
      return { ok: true as const };
    }),
});
