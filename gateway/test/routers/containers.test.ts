// Forwarding to real engines through the HTTP API: container lifecycle, logs and stats as SSE
// subscriptions, images (including a tarball uploaded through the gateway), volumes, networks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, busyboxRootfs } from '../support/busybox.js';
import { engineFixture, engineKinds } from '../support/engines.js';
import { provider, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';

/** Collects a subscription's values until `done` says enough (or the timeout). */
function collect<T>(
  subscribe: (handlers: { onData(v: T): void; onError(e: unknown): void }) => { unsubscribe(): void },
  done: (values: T[]) => boolean,
  timeoutMs = 15_000,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`subscription timed out with ${JSON.stringify(values).slice(0, 500)}`));
    }, timeoutMs);
    const sub = subscribe({
      onData(v) {
        values.push(v);
        if (done(values)) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve(values);
        }
      },
      onError(e) {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}

for (const { kind, unavailable } of engineKinds()) {
  describe.skipIf(unavailable)(
    `forwarding to ${kind} (${provider})${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    () => {
      const fixture = engineFixture(kind);
      let t: TestGateway;
      let op: TestUser;
      let viewer: TestUser;
      let hostId: string;

      beforeAll(async () => {
        const engine = await fixture.start();
        if (!engine) return;
        t = await startTestGateway();
        hostId = await t.addHost(kind, engine.hostUrl);
        op = await t.user('op', [{ hostId, role: 'operator' }]);
        viewer = await t.user('viewer', [{ hostId, role: 'viewer' }]);
      });

      afterAll(async () => {
        await t?.close();
        await fixture.stop();
      });

      beforeEach((ctx) => {
        if (fixture.state.skipReason) ctx.skip(fixture.state.skipReason);
      });

      it('runs a container with the common options and walks its lifecycle', async () => {
        const { id } = await op.client.containers.create.mutate({
          hostId,
          image: BUSYBOX_IMAGE,
          name: 'web1',
          cmd: ['sh', '-c', 'echo started; while true; do sleep 1; done'],
          env: ['GREETING=hello', 'DB_PASSWORD=s3cret'],
          labels: { app: 'web' },
          memory: 64 * 1024 * 1024,
          cpus: 0.5,
          restartPolicy: 'unless-stopped',
          workingDir: '/tmp',
        });
        const details = await viewer.client.containers.inspect.query({ hostId, id });
        expect(details).toMatchObject({
          id,
          name: 'web1',
          state: { running: true },
          config: { labels: { app: 'web' }, workingDir: '/tmp' },
          hostConfig: { memory: 64 * 1024 * 1024, nanoCpus: 500_000_000, restartPolicy: 'unless-stopped' },
        });
        expect(details.config.env).toContain('GREETING=hello');

        await op.client.containers.pause.mutate({ hostId, id });
        expect((await viewer.client.containers.inspect.query({ hostId, id })).state.paused).toBe(true);
        await op.client.containers.unpause.mutate({ hostId, id });
        await op.client.containers.restart.mutate({ hostId, id, t: 0 });
        await op.client.containers.kill.mutate({ hostId, id, signal: 'KILL' });
        expect((await viewer.client.containers.inspect.query({ hostId, id })).state.running).toBe(false);
        await op.client.containers.start.mutate({ hostId, id });
        await expect(op.client.containers.start.mutate({ hostId, id })).rejects.toMatchObject({
          data: { code: 'CONFLICT' },
        });
        await op.client.containers.remove.mutate({ hostId, id, force: true });
        await expect(viewer.client.containers.inspect.query({ hostId, id })).rejects.toMatchObject({
          data: { code: 'NOT_FOUND' },
        });

        // The environment's values never reach the audit trail.
        const { events } = await t.admin.client.audit.list.query({ hostId, action: 'containers.create' });
        expect(events[0]!.params).toContain('GREETING=[redacted]');
        expect(events[0]!.params).not.toContain('s3cret');
      });

      it('streams logs (stdout and stderr, each in order) and stats over SSE', async () => {
        const { id } = await op.client.containers.create.mutate({
          hostId,
          image: BUSYBOX_IMAGE,
          cmd: [
            'sh',
            '-c',
            'echo out-1; echo err-1 >&2; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done',
          ],
        });
        const lines = await collect<{ stream: string; line: string }>(
          (h) => viewer.client.containers.logs.subscribe({ hostId, id, follow: true, tail: 'all' }, h),
          (v) => v.some((l) => l.line === 'tick-3'),
        );
        // Separate pipes: the engine orders lines within a stream, not across the two.
        const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
        expect(stdout.slice(0, 4)).toEqual(['out-1', 'tick-1', 'tick-2', 'tick-3']);
        expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err-1']);

        const once = await collect<{ line: string }>(
          (h) => viewer.client.containers.logs.subscribe({ hostId, id, follow: false, tail: 1, timestamps: true }, h),
          (v) => v.length >= 1,
        );
        expect(once[0]!.line).toMatch(/^tick-\d+$/);

        const stats = await collect<{ memUsage: number; pids: number; cpuPercent: number }>(
          (h) => viewer.client.containers.stats.subscribe({ hostId, id }, h),
          (v) => v.length >= 2,
        );
        expect(stats[1]!.memUsage).toBeGreaterThan(0);
        expect(stats[1]!.pids).toBeGreaterThanOrEqual(1);
        await op.client.containers.remove.mutate({ hostId, id, force: true });
      });

      it('lists, tags and removes images, and loads one uploaded through the gateway', async () => {
        const rootfs = await busyboxRootfs();
        try {
          const res = await fetch(`${t.url}/api/hosts/${hostId}/images/import?repo=uploaded/busybox&tag=v1`, {
            method: 'POST',
            headers: { authorization: `Bearer ${op.token}`, 'content-type': 'application/x-tar' },
            body: rootfs.tar() as unknown as ReadableStream,
            duplex: 'half',
          } as RequestInit);
          expect(res.status).toBe(200);
          expect(await res.text()).toMatch(/sha256:/);
        } finally {
          await rootfs.cleanup();
        }
        const images = await viewer.client.images.list.query({ hostId });
        const uploaded = images.find((i) => i.repoTags.includes('uploaded/busybox:v1'));
        expect(uploaded).toBeDefined();
        await op.client.images.tag.mutate({ hostId, id: 'uploaded/busybox:v1', repo: 'uploaded/again', tag: 'v2' });
        expect(
          (await viewer.client.images.list.query({ hostId })).some((i) => i.repoTags.includes('uploaded/again:v2')),
        ).toBe(true);
        const removed = await op.client.images.remove.mutate({ hostId, id: 'uploaded/again:v2' });
        expect(removed.untagged).toContain('uploaded/again:v2');
        const forbidden = await fetch(`${t.url}/api/hosts/${hostId}/images/load`, {
          method: 'POST',
          headers: { authorization: `Bearer ${viewer.token}` },
          body: 'x',
        });
        expect(forbidden.status).toBe(403);
        const { events } = await t.admin.client.audit.list.query({ hostId, action: 'images.' });
        expect(events.map((e) => `${e.action}:${e.result}`)).toEqual(
          expect.arrayContaining(['images.import:ok', 'images.tag:ok', 'images.remove:ok', 'images.load:error']),
        );
      });

      it('creates, lists and removes volumes and networks', async () => {
        await op.client.volumes.create.mutate({ hostId, name: 'data1', labels: { team: 'a' } });
        expect((await viewer.client.volumes.list.query({ hostId })).find((v) => v.name === 'data1')).toMatchObject({
          labels: { team: 'a' },
        });
        await op.client.volumes.remove.mutate({ hostId, name: 'data1' });
        expect((await viewer.client.volumes.list.query({ hostId })).some((v) => v.name === 'data1')).toBe(false);

        const net = await op.client.networks.create.mutate({ hostId, name: 'backend', internal: true });
        expect((await viewer.client.networks.list.query({ hostId })).find((n) => n.name === 'backend')).toMatchObject({
          id: net.id,
          internal: true,
        });
        await op.client.networks.remove.mutate({ hostId, id: net.id });
        expect((await viewer.client.networks.list.query({ hostId })).some((n) => n.name === 'backend')).toBe(false);
      });
    },
  );
}
