// The audit trail: search (gateway admins everything; host admins their host's events with
// hostId given) and chain verification. Exports stream over HTTP: GET /api/audit/export.
import { z } from 'zod';
import { adminProcedure, hostProcedure, router } from '../trpc.js';

export const auditFilterSchema = z.object({
  actor: z.string().max(64).optional(),
  /** An exact action ("containers.stop") or a prefix ending in "." ("containers."). */
  action: z.string().max(100).optional(),
  hostId: z.string().max(64).optional(),
  target: z.string().max(256).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

export const auditRouter = router({
  list: hostProcedure('admin', { withoutHost: 'admin' })
    .input(
      auditFilterSchema.extend({
        cursor: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(1000).default(100),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { cursor, limit, ...filter } = input;
      const { events, nextCursor } = await ctx.services.audit.list(filter, { cursor, limit });
      return {
        events: events.map((e) => ({ ...e, params: e.params })),
        nextCursor,
      };
    }),

  /** Recomputes the hash chain from the first event; names the first broken one. */
  verify: adminProcedure.query(({ ctx }) => ctx.services.audit.verify()),
});
