// Calls EVERY procedure of the router as every role and proves there is no unauthorized
// success. The list of procedures comes from the router itself: a new procedure without a
// sample input here fails the first test, so it cannot be forgotten.
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/roles.js';
import { BerthError } from '../../src/errors.js';
import { appRouter } from '../../src/root.js';
import type { Access } from '../../src/trpc.js';
import { type Caller, provider, startTestGateway, type TestGateway } from '../support/gateway.js';

type Ids = { hostA: string; hostB: string; hostC: string; tag: string };
type Rule = 'public' | 'user' | 'admin' | 'viewer' | 'operator' | 'host-admin';
const none = 'does-not-exist';

/**
 * The policy, written from the issue (viewer reads; operator runs, stops, execs; admin manages
 * hosts, users, audit; per host, plus the gateway-wide admin flag), and a valid input for every
 * procedure (host procedures target hostA unless noted).
 */
const POLICY: Record<string, [Rule, (ids: Ids) => unknown]> = {
  'auth.login': ['public', (i) => ({ username: `nobody-${i.tag}`, password: 'wrong password' })],
  'auth.logout': ['user', () => undefined],
  'auth.me': ['public', () => undefined],
  'auth.changePassword': ['user', () => ({ currentPassword: 'not the password', newPassword: 'a new long password' })],
  'tokens.list': ['user', () => undefined],
  'tokens.create': ['user', (i) => ({ name: `t-${i.tag}` })],
  'tokens.revoke': ['user', () => ({ tokenId: none })],
  'users.list': ['admin', () => undefined],
  'users.create': ['admin', (i) => ({ username: `made-${i.tag}` })],
  'users.update': ['admin', () => ({ userId: none, disabled: true })],
  'users.remove': ['admin', () => ({ userId: none })],
  'teams.list': ['admin', () => undefined],
  'teams.create': ['admin', (i) => ({ name: `team-made-${i.tag}` })],
  'teams.remove': ['admin', () => ({ teamId: none })],
  'teams.addMember': ['admin', () => ({ teamId: none, userId: none })],
  'teams.removeMember': ['admin', () => ({ teamId: none, userId: none })],
  'teams.grant': ['admin', (i) => ({ teamId: none, hostId: i.hostA, role: 'admin' })],
  'teams.revoke': ['admin', (i) => ({ teamId: none, hostId: i.hostA })],
  'hosts.list': ['user', () => undefined],
  'hosts.get': ['viewer', (i) => ({ hostId: i.hostA })],
  'hosts.add': ['admin', (i) => ({ name: `added-${i.tag}`, url: 'unix:///nonexistent/engine.sock' })],
  'hosts.update': ['host-admin', (i) => ({ hostId: i.hostA })],
  'hosts.remove': ['host-admin', (i) => ({ hostId: i.hostC })],
  'hosts.tlsSetup': ['host-admin', (i) => ({ hostId: i.hostA })],
  'containers.list': ['viewer', (i) => ({ hostId: i.hostA })],
  'containers.inspect': ['viewer', (i) => ({ hostId: i.hostA, id: none })],
  'containers.create': ['operator', (i) => ({ hostId: i.hostA, image: 'busybox', start: false })],
  'containers.start': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.stop': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.restart': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.kill': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.pause': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.unpause': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.remove': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'containers.logs': ['viewer', (i) => ({ hostId: i.hostA, id: none })],
  'containers.stats': ['viewer', (i) => ({ hostId: i.hostA, id: none })],
  'images.list': ['viewer', (i) => ({ hostId: i.hostA })],
  'images.remove': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'images.tag': ['operator', (i) => ({ hostId: i.hostA, id: none, repo: 'x/y' })],
  'volumes.list': ['viewer', (i) => ({ hostId: i.hostA })],
  'volumes.create': ['operator', (i) => ({ hostId: i.hostA, name: 'v1' })],
  'volumes.remove': ['operator', (i) => ({ hostId: i.hostA, name: 'v1' })],
  'networks.list': ['viewer', (i) => ({ hostId: i.hostA })],
  'networks.create': ['operator', (i) => ({ hostId: i.hostA, name: 'n1' })],
  'networks.remove': ['operator', (i) => ({ hostId: i.hostA, id: none })],
  'shells.open': ['operator', (i) => ({ hostId: i.hostA, containerId: none, cmd: ['sh'] })],
  'shells.reattach': ['user', () => ({ sessionId: none })],
  'shells.list': ['user', () => undefined],
  'shells.get': ['user', () => ({ sessionId: none })],
  'audit.list': ['host-admin', (i) => ({ hostId: i.hostA })],
  'audit.verify': ['admin', () => undefined],
};

type Who = 'anonymous' | 'no-role' | 'viewer' | 'operator' | 'host-admin' | 'gateway-admin';
const WHO: Who[] = ['anonymous', 'no-role', 'viewer', 'operator', 'host-admin', 'gateway-admin'];
const RANK: Record<Who, number> = {
  anonymous: -2,
  'no-role': -1,
  viewer: 0,
  operator: 1,
  'host-admin': 2,
  'gateway-admin': 3,
};
const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

function ruleOf(access: Access | undefined): Rule | undefined {
  if (!access) return undefined;
  if (access.kind !== 'host') return access.kind;
  return access.role === 'admin' ? 'host-admin' : access.role;
}

/** Who the POLICY lets in (not the router's own metadata: the two must agree, see above). */
function allowed(rule: Rule, who: Who): boolean {
  if (rule === 'public') return true;
  if (who === 'anonymous') return false;
  if (rule === 'user') return true;
  if (rule === 'admin' || who === 'gateway-admin') return who === 'gateway-admin';
  return RANK[who] >= ROLE_RANK[rule === 'host-admin' ? 'admin' : rule];
}

const DENIALS = new Set(['NOT_SIGNED_IN', 'ADMIN_REQUIRED', 'ROLE_REQUIRED', 'PASSWORD_CHANGE_REQUIRED']);

function denialCode(err: unknown): string | null {
  if (err instanceof BerthError && DENIALS.has(err.berthCode)) return err.berthCode;
  if (
    err instanceof TRPCError &&
    (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN') &&
    !(err instanceof BerthError)
  ) {
    return err.code;
  }
  return null;
}

// tRPC keeps a flat map of every procedure by path.
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { access?: Access } } }>,
);

async function call(
  caller: Caller,
  path: string,
  input: unknown,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  const fn = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
    i: unknown,
  ) => Promise<unknown>;
  try {
    const result = await fn(input);
    // A subscription that was allowed hands back its stream; close it.
    const iterator = (result as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown> })?.[Symbol.asyncIterator]?.();
    await iterator?.return?.();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

let t: TestGateway;
let ids: Ids;
const callers = {} as Record<Who, Caller>;

beforeAll(async () => {
  t = await startTestGateway();
  // Engines that are not there: allowed calls fail as "unreachable", which is not a denial.
  const hostA = await t.addHost('host-a', 'unix:///nonexistent/a.sock');
  const hostB = await t.addHost('host-b', 'unix:///nonexistent/b.sock');
  const hostC = await t.addHost('host-c', 'unix:///nonexistent/c.sock');
  ids = { hostA, hostB, hostC, tag: '' };
  const grants = (role: Role) => [
    { hostId: hostA, role },
    { hostId: hostC, role },
  ];
  callers.anonymous = t.anonymous().caller;
  callers['no-role'] = (await t.user('nobody')).caller;
  callers.viewer = (await t.user('viewer', grants('viewer'))).caller;
  callers.operator = (await t.user('operator', grants('operator'))).caller;
  callers['host-admin'] = (await t.user('hostadmin', grants('admin'))).caller;
  callers['gateway-admin'] = t.admin.caller;
});

afterAll(() => t?.close());

describe(`RBAC matrix (${provider})`, () => {
  it('has a sample input and an access rule for every procedure, and nothing else', () => {
    const paths = procedures.map(([p]) => p).sort();
    expect(Object.keys(POLICY).sort()).toEqual(paths);
    for (const [path, proc] of procedures) expect(ruleOf(proc._def.meta?.access), path).toBe(POLICY[path]![0]);
  });

  it.each(procedures.map(([path]) => path))(
    '%s: no role below the rule succeeds; every role at or above it gets in',
    async (path) => {
      const proc = procedures.find(([p]) => p === path)![1];
      const rule = POLICY[path]![0];
      for (const who of WHO) {
        const before = await t.services.db.auditEvent.count();
        const result = await call(
          callers[who],
          path,
          POLICY[path]![1]({ ...ids, tag: `${who}-${path}`.replace(/[^a-z0-9-]/gi, '-') }),
        );
        const expected = allowed(rule, who);
        if (!expected) {
          expect(result.ok, `${who} must not succeed at ${path}`).toBe(false);
          expect(
            denialCode((result as { error: unknown }).error),
            `${who} at ${path}: ${String((result as { error: Error }).error)}`,
          ).not.toBeNull();
        } else if (!result.ok) {
          expect(denialCode(result.error), `${who} should be let into ${path}: ${String(result.error)}`).toBeNull();
        }
        if (proc._def.type === 'mutation') {
          await t.services.audit.flush();
          // Every mutation is audited, allowed or not, succeeded or not.
          expect(await t.services.db.auditEvent.count(), `audit event for ${who} ${path}`).toBe(before + 1);
        }
      }
    },
  );

  it('a role on one host grants nothing on another', async () => {
    for (const [path] of procedures) {
      if (!['viewer', 'operator', 'host-admin'].includes(POLICY[path]![0])) continue;
      const input = POLICY[path]![1]({ ...ids, hostA: ids.hostB, hostC: ids.hostB, tag: `cross-${path}` });
      for (const who of ['viewer', 'operator', 'host-admin'] as const) {
        const result = await call(callers[who], path, input);
        expect(result.ok, `${who} on host-b via ${path}`).toBe(false);
        expect(denialCode((result as { error: unknown }).error), `${who} on host-b via ${path}`).not.toBeNull();
      }
    }
  });

  it('lists across hosts only those the caller holds a role on', async () => {
    const seen = async (who: Who) =>
      ((await callers[who].containers.list({})) as { hosts: { hostName: string }[] }).hosts
        .map((h) => h.hostName)
        .sort();
    expect(await seen('no-role')).toEqual([]);
    expect((await seen('viewer')).includes('host-b')).toBe(false);
    expect(await seen('gateway-admin')).toContain('host-b');
    const hostsSeen = (await callers.viewer.hosts.list()).map((h) => h.name);
    expect(hostsSeen).not.toContain('host-b');
  });
});
