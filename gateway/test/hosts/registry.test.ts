// A host that dies or hangs mid-test answers with a clear error within 2 s, and never slows
// calls to the other host.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE } from '../support/busybox.js';
import { type EngineProcess, startDockerd } from '../support/engines.js';
import { provider, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';

let a: EngineProcess;
let b: EngineProcess;
let t: TestGateway;
let viewer: TestUser;
let op: TestUser;
let hostA: string;
let hostB: string;
let hostHung: string;
let hung: Server;
let hungDir: string;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error: error as Error };
  }
}

beforeAll(async () => {
  [a, b] = await Promise.all([startDockerd(), startDockerd()]);
  // An engine that accepts connections and never answers (a wedged daemon).
  hungDir = await mkdtemp(join(tmpdir(), 'berth-hung-'));
  hung = createServer(() => {}).listen(join(hungDir, 'hung.sock'));
  t = await startTestGateway();
  hostA = await t.addHost('alpha', a.hostUrl);
  hostB = await t.addHost('bravo', b.hostUrl);
  hostHung = await t.addHost('hung', `unix://${join(hungDir, 'hung.sock')}`);
  const all = (role: 'viewer' | 'operator') => [hostA, hostB, hostHung].map((hostId) => ({ hostId, role }));
  viewer = await t.user('viewer', all('viewer'));
  op = await t.user('op', all('operator'));
  await op.client.containers.create.mutate({
    hostId: hostA,
    image: BUSYBOX_IMAGE,
    cmd: ['sleep', '600'],
    name: 'on-a',
  });
  await op.client.containers.create.mutate({
    hostId: hostB,
    image: BUSYBOX_IMAGE,
    cmd: ['sleep', '600'],
    name: 'on-b',
  });
});

afterAll(async () => {
  await t?.close();
  hung?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  if (hungDir) await rm(hungDir, { recursive: true, force: true });
});

describe(`host failures (${provider})`, () => {
  it('reports health: version and container counts of live hosts', async () => {
    await viewer.client.hosts.get.query({ hostId: hostA, refresh: true });
    const hosts = await viewer.client.hosts.list.query();
    const alpha = hosts.find((h) => h.name === 'alpha')!;
    expect(alpha.health.status).toBe('up');
    expect(alpha.health.version).toMatch(/^\d+\.\d+/);
    expect(alpha.health.containers.running).toBe(1);
    expect(alpha.role).toBe('viewer');
  });

  it('answers for a hung host within 2 s, without slowing the other host', async () => {
    const [stuck, other] = await Promise.all([
      timed(() => viewer.client.containers.list.query({ hostId: hostHung })),
      (async () => {
        await new Promise((r) => setTimeout(r, 100));
        return timed(() => viewer.client.containers.list.query({ hostId: hostB }));
      })(),
    ]);
    expect(stuck.ms).toBeLessThan(2600);
    expect(stuck.value!.hosts[0]).toMatchObject({ ok: false, hostName: 'hung' });
    expect(stuck.value!.hosts[0]!.error).toMatch(/host hung is unreachable: no answer within 2000 ms/);
    expect(other.ms).toBeLessThan(1000);
    expect(other.value!.hosts[0]!.containers.map((c) => c.name)).toContain('on-b');

    const inspect = await timed(() => viewer.client.containers.inspect.query({ hostId: hostHung, id: 'x' }));
    expect(inspect.ms).toBeLessThan(2600);
    expect(inspect.error?.message).toMatch(/host hung is unreachable/);
  });

  it('a host killed mid-test gives a clear error within 2 s; the other keeps working', async () => {
    const before = await viewer.client.containers.list.query({ hostId: hostA });
    expect(before.hosts[0]!.ok).toBe(true);
    a.kill();
    await new Promise((r) => setTimeout(r, 200));

    const list = await timed(() => viewer.client.containers.list.query({ hostId: hostA }));
    expect(list.ms).toBeLessThan(2000);
    expect(list.value!.hosts[0]).toMatchObject({ ok: false, containers: [] });
    expect(list.value!.hosts[0]!.error).toMatch(/^host alpha is unreachable: /);

    const stop = await timed(() => op.client.containers.stop.mutate({ hostId: hostA, id: 'on-a' }));
    expect(stop.ms).toBeLessThan(2000);
    expect(stop.error?.message).toMatch(/^host alpha is unreachable/);
    expect((stop.error as { data?: { code?: string } }).data?.code).toBe('PRECONDITION_FAILED');

    // Across all hosts: alpha and hung failed, bravo listed, all well within the deadline.
    const all = await timed(() => viewer.client.containers.list.query({}));
    expect(all.ms).toBeLessThan(2600);
    const byName = Object.fromEntries(all.value!.hosts.map((h) => [h.hostName, h]));
    expect(byName.alpha!.ok).toBe(false);
    expect(byName.hung!.ok).toBe(false);
    expect(byName.bravo!.ok).toBe(true);
    expect(byName.bravo!.containers.map((c) => c.name)).toContain('on-b');

    // Mutations on the live host still work.
    const created = await op.client.containers.create.mutate({
      hostId: hostB,
      image: BUSYBOX_IMAGE,
      cmd: ['true'],
      start: false,
    });
    await op.client.containers.remove.mutate({ hostId: hostB, id: created.id });

    // The failed stop is in the audit trail with its error.
    const { events } = await t.admin.client.audit.list.query({ hostId: hostA, action: 'containers.stop' });
    expect(events[0]).toMatchObject({ result: 'error', actorName: 'op', hostName: 'alpha' });
    expect(events[0]!.error).toMatch(/HOST_UNREACHABLE/);

    await t.services.hosts.probeAll();
    const health = (await viewer.client.hosts.list.query()).find((h) => h.name === 'alpha')!.health;
    expect(health.status).toBe('down');
    expect(health.error).toBeTruthy();
    expect(health.lastSeen).not.toBeNull();
  });
});
