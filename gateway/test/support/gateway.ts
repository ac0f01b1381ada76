// Starts real gateways for tests: a temp data directory, the database of the run's provider
// (SQLite, or a fresh database in the run's PostgreSQL cluster), port 0 on loopback. Users are
// created directly in the database with a team per user and an API token, and get both an
// HTTP tRPC client and an in-process caller.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { inject } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import type { Role } from '../../src/auth/roles.js';
import { createApiToken } from '../../src/auth/tokens.js';
import type { Context } from '../../src/context.js';
import { createLogger } from '../../src/log.js';
import { type AppRouter, appRouter } from '../../src/root.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server.js';
import type { Services } from '../../src/services.js';
import { createCallerFactory } from '../../src/trpc.js';

export const provider: 'sqlite' | 'postgresql' = process.env.BERTH_TEST_DB === 'postgresql' ? 'postgresql' : 'sqlite';
export const TEST_PASSWORD = 'correct horse battery staple';

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface TestUser {
  id: string;
  username: string;
  token: string;
  isAdmin: boolean;
  client: TRPCClient<AppRouter>;
  caller: Caller;
}

export interface TestGateway {
  gw: Gateway;
  url: string;
  services: Services;
  dataDir: string;
  admin: TestUser;
  addHost(name: string, url: string): Promise<string>;
  user(name: string, grants?: { hostId: string; role: Role }[], opts?: { isAdmin?: boolean }): Promise<TestUser>;
  anonymous(): { client: TRPCClient<AppRouter>; caller: Caller };
  close(): Promise<void>;
}

let dbCounter = 0;

async function databaseUrl(): Promise<string | undefined> {
  if (provider !== 'postgresql') return undefined;
  const base = inject('postgresUrl');
  if (!base) throw new Error('PostgreSQL project without a cluster (global setup did not run)');
  const name = `gw_${process.pid}_${Date.now()}_${dbCounter++}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return base.replace(/\/[^/]*$/, `/${name}`);
}

export function trpcClient(url: string, token?: string): TRPCClient<AppRouter> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) =>
              fetch(input, {
                ...init,
                headers: { ...(init?.headers as Record<string, string> | undefined), ...headers },
              }),
          },
        }),
        false: httpBatchLink({ url: `${url}/trpc`, headers }),
      }),
    ],
  });
}

export function callerFor(services: Services, user: Context['user'], tokenId = 'test'): Caller {
  return createCaller({
    services,
    user,
    auth: user ? { kind: 'token', tokenId } : null,
    clientIp: '127.0.0.1',
    userAgent: 'vitest',
    setCookie() {},
  });
}

export async function startTestGateway(opts: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-gw-'));
  const gw = await createGateway({
    dataDir,
    listen: '127.0.0.1:0',
    databaseUrl: await databaseUrl(),
    logger: createLogger({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    hosts: { pollIntervalMs: 1000, timeoutMs: 2000 },
    ...opts,
  });
  const { services } = gw;
  const { db } = services;

  async function makeUser(
    name: string,
    grants: { hostId: string; role: Role }[] = [],
    isAdmin = false,
  ): Promise<TestUser> {
    const user = await db.user.create({
      data: { username: name, passwordHash: await hashPassword(TEST_PASSWORD), isAdmin },
    });
    if (grants.length) {
      const team = await db.team.create({ data: { name: `team-${name}` } });
      await db.membership.create({ data: { teamId: team.id, userId: user.id } });
      for (const g of grants) await db.hostGrant.create({ data: { teamId: team.id, hostId: g.hostId, role: g.role } });
    }
    const { token, id: tokenId } = await createApiToken(db, user.id, 'test', null);
    const sessionUser = { id: user.id, username: name, isAdmin, mustChangePassword: false };
    return {
      id: user.id,
      username: name,
      token,
      isAdmin,
      client: trpcClient(gw.url, token),
      caller: callerFor(services, sessionUser, tokenId),
    };
  }

  const admin = await makeUser('root', [], true);
  return {
    gw,
    url: gw.url,
    services,
    dataDir,
    admin,
    async addHost(name, url) {
      const host = await db.host.create({ data: { name, url, tls: false } });
      await services.hosts.reload();
      await services.hosts.probe(host.id);
      return host.id;
    },
    user: (name, grants, o) => makeUser(name, grants, o?.isAdmin ?? false),
    anonymous: () => ({ client: trpcClient(gw.url), caller: callerFor(services, null) }),
    async close() {
      await gw.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
