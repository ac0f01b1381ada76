// Containers on one host or across every host the caller can see: list, inspect, create/run,
// lifecycle, and logs/stats as subscriptions (streamed over SSE).
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { rolesByHost } from '../auth/roles.js';
import { demux, jsonLines, lines, once, raw } from '../docker/frames.js';
import { containerDetails, containerSummary } from '../docker/map.js';
import { type RawStats, toSample } from '../docker/stats.js';
import { hostProcedure, router } from '../trpc.js';
import { fanOut } from './fanout.js';

const hostId = z.string().min(1).max(64);
const id = z.string().min(1).max(256);
const target = z.object({ hostId, id });
// Mutations may wait on the engine (image unpacking, stop grace periods): a longer deadline
// than reads, after a liveness check that answers within the short one.
const MUTATION_TIMEOUT_MS = 60_000;

const createInput = z.object({
  hostId,
  image: z.string().min(1).max(512),
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/)
    .optional(),
  cmd: z.array(z.string().max(4096)).max(256).optional(),
  entrypoint: z.array(z.string().max(4096)).max(64).optional(),
  env: z
    .array(
      z
        .string()
        .regex(/^[^=\s]+=/, 'KEY=VALUE')
        .max(32768),
    )
    .max(512)
    .optional(),
  ports: z
    .array(
      z.object({
        containerPort: z.number().int().min(1).max(65535),
        hostPort: z.number().int().min(0).max(65535).optional(),
        protocol: z.enum(['tcp', 'udp']).default('tcp'),
        hostIp: z.string().max(64).optional(),
      }),
    )
    .max(128)
    .optional(),
  volumes: z
    .array(
      z.object({
        source: z.string().min(1).max(4096),
        target: z.string().startsWith('/').max(4096),
        readOnly: z.boolean().default(false),
      }),
    )
    .max(128)
    .optional(),
  memory: z.number().int().min(0).optional(),
  cpus: z.number().min(0).max(1024).optional(),
  restartPolicy: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
  tty: z.boolean().optional(),
  openStdin: z.boolean().optional(),
  workingDir: z.string().max(4096).optional(),
  user: z.string().max(256).optional(),
  labels: z.record(z.string().max(256), z.string().max(4096)).optional(),
  network: z.string().max(256).optional(),
  start: z.boolean().default(true),
});

export type CreateContainerInput = z.input<typeof createInput>;

function createOptions(input: z.output<typeof createInput>): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string; HostIp?: string }[]> = {};
  for (const p of input.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    const list = bindings[key] ?? [];
    list.push({ HostPort: p.hostPort ? String(p.hostPort) : '', ...(p.hostIp ? { HostIp: p.hostIp } : {}) });
    bindings[key] = list;
  }
  return {
    Image: input.image,
    ...(input.name ? { name: input.name } : {}),
    ...(input.cmd ? { Cmd: input.cmd } : {}),
    ...(input.entrypoint ? { Entrypoint: input.entrypoint } : {}),
    ...(input.env ? { Env: input.env } : {}),
    ...(input.workingDir ? { WorkingDir: input.workingDir } : {}),
    ...(input.user ? { User: input.user } : {}),
    ...(input.labels ? { Labels: input.labels } : {}),
    Tty: input.tty ?? false,
    OpenStdin: input.openStdin ?? false,
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Binds: (input.volumes ?? []).map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`),
      ...(input.memory ? { Memory: input.memory } : {}),
      ...(input.cpus ? { NanoCpus: Math.round(input.cpus * 1e9) } : {}),
      ...(input.restartPolicy ? { RestartPolicy: { Name: input.restartPolicy } } : {}),
      ...(input.network ? { NetworkMode: input.network } : {}),
    },
  };
}

export const containersRouter = router({
  /** One host (hostId) or every host the caller holds a role on; a failed host is listed as failed. */
  list: hostProcedure('viewer', { withoutHost: 'visible' })
    .input(z.object({ hostId: hostId.optional(), all: z.boolean().default(true) }))
    .query(async ({ ctx, input }) => {
      const { hosts } = ctx.services;
      const ids = input.hostId
        ? [input.hostId]
        : [...(await rolesByHost(ctx.services.db, ctx.user)).keys()].filter((h) => hosts.find(h));
      const results = await fanOut(ctx.services, ids, (h) =>
        hosts.call(h, async (d, signal) =>
          (await d.listContainers({ all: input.all, abortSignal: signal } as object)).map(containerSummary),
        ),
      );
      return {
        hosts: results.map((r) => ({
          hostId: r.hostId,
          hostName: r.hostName,
          ok: r.ok,
          error: r.error,
          containers: r.items,
        })),
      };
    }),

  inspect: hostProcedure('viewer')
    .input(target)
    .query(({ ctx, input }) =>
      ctx.services.hosts.call(input.hostId, async (d, signal) =>
        containerDetails(await d.getContainer(input.id).inspect({ abortSignal: signal } as object)),
      ),
    ),

  create: hostProcedure('operator')
    .input(createInput)
    .mutation(async ({ ctx, input }) => {
      const { hosts } = ctx.services;
      const created = await hosts.call(input.hostId, (d) => d.createContainer(createOptions(input)), {
        timeoutMs: MUTATION_TIMEOUT_MS,
      });
      ctx.audit.target = input.name ?? created.id;
      ctx.audit.extra = { containerId: created.id };
      if (input.start) {
        await hosts.call(input.hostId, (d) => d.getContainer(created.id).start(), { timeoutMs: MUTATION_TIMEOUT_MS });
      }
      return { id: created.id, started: input.start };
    }),

  start: hostProcedure('operator')
    .input(target)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(input.hostId, (d) => d.getContainer(input.id).start(), {
        timeoutMs: MUTATION_TIMEOUT_MS,
      });
      return { ok: true as const };
    }),

  stop: hostProcedure('operator')
    .input(target.extend({ t: z.number().int().min(0).max(600).optional() }))
    .mutation(async ({ ctx, input }) => {
      const grace = input.t ?? 10;
      await ctx.services.hosts.call(input.hostId, (d) => d.getContainer(input.id).stop({ t: grace }), {
        timeoutMs: grace * 1000 + MUTATION_TIMEOUT_MS,
      });
      return { ok: true as const };
    }),

  restart: hostProcedure('operator')
    .input(target.extend({ t: z.number().int().min(0).max(600).optional() }))
    .mutation(async ({ ctx, input }) => {
      const grace = input.t ?? 10;
      await ctx.services.hosts.call(input.hostId, (d) => d.getContainer(input.id).restart({ t: grace }), {
        timeoutMs: grace * 1000 + MUTATION_TIMEOUT_MS,
      });
      return { ok: true as const };
    }),

  kill: hostProcedure('operator')
    .input(
      target.extend({
        signal: z
          .string()
          .regex(/^[A-Z0-9]{1,16}$/)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(
        input.hostId,
        (d) => d.getContainer(input.id).kill(input.signal ? { signal: input.signal } : {}),
        {
          timeoutMs: MUTATION_TIMEOUT_MS,
        },
      );
      return { ok: true as const };
    }),

  pause: hostProcedure('operator')
    .input(target)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(input.hostId, (d) => d.getContainer(input.id).pause(), {
        timeoutMs: MUTATION_TIMEOUT_MS,
      });
      return { ok: true as const };
    }),

  unpause: hostProcedure('operator')
    .input(target)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(input.hostId, (d) => d.getContainer(input.id).unpause(), {
        timeoutMs: MUTATION_TIMEOUT_MS,
      });
      return { ok: true as const };
    }),

  remove: hostProcedure('operator')
    .input(target.extend({ force: z.boolean().default(false), volumes: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.hosts.call(
        input.hostId,
        (d) => d.getContainer(input.id).remove({ force: input.force, v: input.volumes }),
        {
          timeoutMs: MUTATION_TIMEOUT_MS,
        },
      );
      return { ok: true as const };
    }),

  /** Log lines, oldest first; with follow, new lines as they come until the client unsubscribes. */
  logs: hostProcedure('viewer')
    .input(
      target.extend({
        follow: z.boolean().default(true),
        tail: z.union([z.number().int().min(0).max(100_000), z.literal('all')]).default(200),
        timestamps: z.boolean().default(false),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const { hosts } = ctx.services;
      const container = await hosts.call(input.hostId, (d, s) =>
        d.getContainer(input.id).inspect({ abortSignal: s } as object),
      );
      // The engine takes tail=all; the type definitions only admit numbers.
      const opts = { stdout: true, stderr: true, tail: input.tail as number, timestamps: input.timestamps };
      const source = input.follow
        ? await hosts.call(input.hostId, (d) => d.getContainer(input.id).logs({ ...opts, follow: true }), { signal })
        : once(
            await hosts.call(input.hostId, (d) => d.getContainer(input.id).logs({ ...opts, follow: false }), {
              signal,
            }),
          );
      const stream = source as AsyncIterable<Buffer> & { destroy?: () => void };
      const onAbort = () => stream.destroy?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const frames = container.Config.Tty ? raw(stream) : demux(stream);
        for await (const l of lines(frames)) {
          if (input.timestamps) {
            const space = l.line.indexOf(' ');
            yield { stream: l.stream, line: l.line.slice(space + 1), time: l.line.slice(0, space) };
          } else {
            yield { stream: l.stream, line: l.line, time: null };
          }
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stream.destroy?.();
      }
    }),

  /** One sample a second (the engine's pace) until the client unsubscribes. */
  stats: hostProcedure('viewer')
    .input(target)
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = (await ctx.services.hosts.call(
        input.hostId,
        (d) => d.getContainer(input.id).stats({ stream: true }),
        {
          signal,
        },
      )) as unknown as NodeJS.ReadableStream & { destroy(): void };
      const onAbort = () => stream.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const sample of jsonLines<RawStats>(stream as AsyncIterable<Buffer>)) yield toSample(sample);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stream.destroy();
      }
    }),
});
