// Engine hosts: registration (unix socket, or TCP with mutual TLS from the gateway's CA),
// health, and the one command that sets up berthd to trust the gateway.
import { z } from 'zod';
import { type Role, rolesByHost } from '../auth/roles.js';
import { Errors } from '../errors.js';
import type { HostHandle } from '../hosts/registry.js';
import { parseHostUrl } from '../hosts/url.js';
import { adminProcedure, hostProcedure, protectedProcedure, router } from '../trpc.js';

const hostId = z.string().min(1).max(64);
const hostName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits and . _ - (max 63)');
const hostUrl = z.string().trim().min(8).max(500);
const certName = z.string().regex(/^[A-Za-z0-9.*:_-]{1,253}$/);

function view(h: HostHandle, role: Role | null) {
  const { health } = h;
  return {
    id: h.id,
    name: h.name,
    url: h.url,
    tls: h.tls,
    role,
    health: {
      status: health.status,
      version: health.version,
      apiVersion: health.apiVersion,
      os: health.os,
      containers: { ...health.containers },
      images: health.images,
      lastSeen: health.lastSeen,
      checkedAt: health.checkedAt,
      error: health.error,
    },
  };
}

export const TLS_DIR = '/etc/berth/tls';

export const hostsRouter = router({
  /** Hosts the caller holds any role on, with their last known health. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const roles = await rolesByHost(ctx.services.db, ctx.user);
    return ctx.services.hosts
      .list()
      .filter((h) => roles.has(h.id))
      .map((h) => view(h, roles.get(h.id) ?? null));
  }),

  get: hostProcedure('viewer')
    .input(z.object({ hostId, refresh: z.boolean().default(false) }))
    .query(async ({ ctx, input }) => {
      const host = ctx.services.hosts.get(input.hostId);
      if (input.refresh || host.health.status === 'unknown') await ctx.services.hosts.probe(host.id);
      return view(host, ctx.role);
    }),

  add: adminProcedure
    .input(z.object({ name: hostName, url: hostUrl, tls: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      parseHostUrl(input.url, input.tls);
      const { db, hosts } = ctx.services;
      if (await db.host.findUnique({ where: { name: input.name } }))
        throw Errors.CONFLICT(`host ${input.name} already exists`);
      const row = await db.host.create({ data: { name: input.name, url: input.url, tls: input.tls } });
      ctx.audit.hostId = row.id;
      ctx.audit.target = row.name;
      await hosts.reload();
      await hosts.probe(row.id);
      return view(hosts.get(row.id), 'admin');
    }),

  update: hostProcedure('admin')
    .input(z.object({ hostId, name: hostName.optional(), url: hostUrl.optional(), tls: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { db, hosts } = ctx.services;
      const current = hosts.get(input.hostId);
      ctx.audit.target = current.name;
      const url = input.url ?? current.url;
      const tls = input.tls ?? current.tls;
      parseHostUrl(url, tls);
      if (input.name && input.name !== current.name && (await db.host.findUnique({ where: { name: input.name } }))) {
        throw Errors.CONFLICT(`host ${input.name} already exists`);
      }
      await db.host.update({ where: { id: current.id }, data: { name: input.name ?? current.name, url, tls } });
      await hosts.reload();
      await hosts.probe(current.id);
      return view(hosts.get(current.id), ctx.role);
    }),

  remove: hostProcedure('admin')
    .input(z.object({ hostId }))
    .mutation(async ({ ctx, input }) => {
      const { db, hosts, shells } = ctx.services;
      const host = hosts.get(input.hostId);
      ctx.audit.target = host.name;
      await shells.endForHost(host.id, 'host removed');
      await db.host.delete({ where: { id: host.id } });
      await hosts.reload();
      return { ok: true as const };
    }),

  /**
   * Issues a server certificate (signed by the gateway's CA) for the host's engine and returns
   * the files plus the command that starts berthd trusting only clients of that CA. The key is
   * in the response, once; it is not stored by the gateway.
   */
  tlsSetup: hostProcedure('admin')
    .input(
      z.object({
        hostId,
        names: z.array(certName).max(20).optional(),
        port: z.number().int().min(1).max(65535).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const host = ctx.services.hosts.get(input.hostId);
      ctx.audit.target = host.name;
      const target = parseHostUrl(host.url, host.tls);
      const names = input.names?.length
        ? input.names
        : target.kind === 'tcp'
          ? [target.host]
          : ['localhost', '127.0.0.1'];
      const port = input.port ?? (target.kind === 'tcp' ? target.port : 2376);
      const pair = await ctx.services.ca.issueServer(names);
      const files = [
        { path: `${TLS_DIR}/ca.pem`, mode: '0644', content: ctx.services.ca.caCert },
        { path: `${TLS_DIR}/server-cert.pem`, mode: '0644', content: pair.cert },
        { path: `${TLS_DIR}/server-key.pem`, mode: '0600', content: pair.key },
      ];
      const tlsFlags = `--tlscacert ${TLS_DIR}/ca.pem --tlscert ${TLS_DIR}/server-cert.pem --tlskey ${TLS_DIR}/server-key.pem`;
      const command = `berthd --host tcp://0.0.0.0:${port} ${tlsFlags}`;
      const script = [
        'set -eu',
        `install -d -m 0700 ${TLS_DIR}`,
        ...files.map(
          (f) => `umask 077; cat > ${f.path} <<'BERTH_PEM'\n${f.content.trim()}\nBERTH_PEM\nchmod ${f.mode} ${f.path}`,
        ),
        command,
      ].join('\n');
      return {
        names,
        files,
        command,
        /** The same for a stock dockerd, which verifies client certificates only with --tlsverify. */
        dockerdCommand: `dockerd --host tcp://0.0.0.0:${port} --tlsverify ${tlsFlags}`,
        script,
        hostUrl: `tcp://${names[0]}:${port}`,
      };
    }),
});
