// Assembles a gateway: data directory, database (migrated), CA, hosts, shells, audit, HTTP.
// Used by the CLI (`berth-gateway serve`) and by the tests, which start real gateways.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { AuditLog } from './audit/log.js';
import { ensureBootstrapAdmin } from './auth/bootstrap.js';
import { LoginLimiter, type LoginLimiterOptions } from './auth/rate-limit.js';
import { openDatabase } from './db/client.js';
import { GatewayCA } from './hosts/ca.js';
import { HostRegistry, type HostRegistryOptions } from './hosts/registry.js';
import { parseHostUrl } from './hosts/url.js';
import { createHttpServer } from './http/server.js';
import { loadWeb } from './http/web.js';
import { createLogger, type Logger } from './log.js';
import { FileRecordingStore, type RecordingStore } from './recording/store.js';
import type { Services } from './services.js';
import { ShellManager } from './shells/manager.js';
import type { ShellTimings } from './shells/session.js';

export interface GatewayOptions {
  dataDir: string;
  /** host:port; port 0 picks a free one. Default 127.0.0.1:8080. */
  listen?: string;
  /** postgresql://… for PostgreSQL; default SQLite in the data directory. */
  databaseUrl?: string;
  /** The console's workspace directory, served for every non-API path. */
  web?: string;
  /** Registers this engine endpoint as host "local" if no host has that URL yet. */
  registerLocal?: string;
  logger?: Logger;
  secureCookies?: boolean;
  trustProxy?: number;
  hosts?: HostRegistryOptions;
  shells?: Partial<ShellTimings> & { ticketTtlMs?: number };
  limiter?: LoginLimiterOptions;
  recordings?: RecordingStore;
}

export interface Gateway {
  url: string;
  server: Server;
  services: Services;
  /** Set on the first start only: the bootstrap admin's one-time password. */
  bootstrap: { username: string; password: string } | null;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be host:port, got ${listen}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = opts.logger ?? createLogger();
  const database = await openDatabase({ dataDir, url: opts.databaseUrl });
  if (database.appliedMigrations.length) log.info({ migrations: database.appliedMigrations }, 'database migrated');
  const { db, provider } = database;
  const ca = await GatewayCA.load(dataDir);
  const hosts = new HostRegistry(db, ca, log, opts.hosts);
  const audit = new AuditLog(db, provider, log);
  const recordings = opts.recordings ?? new FileRecordingStore(join(dataDir, 'recordings'));
  const shells = new ShellManager({ db, hosts, recordings, audit, log }, opts.shells);
  const services: Services = {
    db,
    provider,
    log,
    audit,
    hosts,
    ca,
    limiter: new LoginLimiter(opts.limiter),
    shells,
    recordings,
    config: { dataDir, secureCookies: opts.secureCookies ?? false, trustProxy: opts.trustProxy ?? 0 },
  };

  await shells.recoverOrphans();
  const bootstrap = await ensureBootstrapAdmin(db);
  if (opts.registerLocal) {
    parseHostUrl(opts.registerLocal, false);
    const existing = await db.host.findFirst({ where: { url: opts.registerLocal } });
    if (!existing) {
      const name = (await db.host.findUnique({ where: { name: 'local' } })) ? `local-${Date.now()}` : 'local';
      await db.host.create({ data: { name, url: opts.registerLocal, tls: false } });
    }
  }
  await hosts.reload();
  hosts.start();

  const web = opts.web ? await loadWeb(opts.web) : undefined;
  const { server, closeSockets } = createHttpServer(services, web?.handler);
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, database: database.location, provider, hosts: hosts.list().length }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    services,
    bootstrap,
    close() {
      closing ??= (async () => {
        hosts.stop();
        await shells.shutdown();
        closeSockets();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await web?.close();
        await audit.flush();
        await database.close();
      })();
      return closing;
    },
  };
}
