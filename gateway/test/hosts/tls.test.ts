// A TCP host with mutual TLS from the gateway's own CA: hosts.tlsSetup issues the engine's
// server certificate and the command line; the engine started that way is reachable (calls and
// a hijacked exec), and a gateway with another CA is refused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TLS_DIR } from '../../src/routers/hosts.js';
import { BUSYBOX_IMAGE } from '../support/busybox.js';
import { engineFixture, engineKinds } from '../support/engines.js';
import { provider, startTestGateway, type TestGateway } from '../support/gateway.js';
import { ShellClient } from '../support/shell-client.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

for (const { kind, unavailable } of engineKinds()) {
  describe.skipIf(unavailable)(
    `mutual TLS host on ${kind} (${provider})${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    () => {
      let t: TestGateway;
      let dir: string;
      let port: number;
      let hostId: string;
      let setup: Awaited<ReturnType<TestGateway['admin']['client']['hosts']['tlsSetup']['mutate']>>;
      // The engine's flags are exactly the ones tlsSetup printed, with the files where we wrote them.
      const fixture = engineFixture(kind, () =>
        setup.command
          .split(' ')
          .slice(1)
          .map((a) => a.replace('0.0.0.0', '127.0.0.1').replace(TLS_DIR, dir))
          .concat(kind === 'dockerd' ? ['--tlsverify'] : []),
      );

      beforeAll(async () => {
        t = await startTestGateway();
        dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
        port = await freePort();
        const added = await t.admin.client.hosts.add.mutate({
          name: 'remote',
          url: `tcp://127.0.0.1:${port}`,
          tls: true,
        });
        hostId = added.id;
        expect(added.health.status).toBe('down');
        setup = await t.admin.client.hosts.tlsSetup.mutate({ hostId });
        for (const f of setup.files)
          await writeFile(f.path.replace(TLS_DIR, dir), f.content, { mode: Number.parseInt(f.mode, 8) });
        await fixture.start();
      });

      afterAll(async () => {
        await t?.close();
        await fixture.stop();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      beforeEach((ctx) => {
        if (fixture.state.skipReason) ctx.skip(fixture.state.skipReason);
      });

      it('prints the one command that makes berthd trust the gateway', () => {
        expect(setup.command).toBe(
          `berthd --host tcp://0.0.0.0:${port} --tlscacert ${TLS_DIR}/ca.pem --tlscert ${TLS_DIR}/server-cert.pem --tlskey ${TLS_DIR}/server-key.pem`,
        );
        expect(setup.names).toEqual(['127.0.0.1']);
        expect(setup.files.map((f) => f.path)).toEqual([
          `${TLS_DIR}/ca.pem`,
          `${TLS_DIR}/server-cert.pem`,
          `${TLS_DIR}/server-key.pem`,
        ]);
        expect(setup.files[0]!.content).toBe(t.services.ca.caCert);
        expect(setup.script).toContain(setup.command);
      });

      it('reaches the engine over mutual TLS, including a hijacked exec', async () => {
        const host = await t.admin.client.hosts.get.query({ hostId, refresh: true });
        expect(host.health.status).toBe('up');
        const created = await t.admin.client.containers.create.mutate({
          hostId,
          image: BUSYBOX_IMAGE,
          cmd: ['sleep', '600'],
        });
        const { ticket } = await t.admin.client.shells.open.mutate({
          hostId,
          containerId: created.id,
          cmd: ['/bin/sh'],
        });
        const shell = await ShellClient.connect(t.url, { ticket });
        await shell.waitControl('ready');
        await shell.type('echo over-tls\r');
        await shell.waitFor(/\r\nover-tls\r\n/);
        await shell.type('exit\r');
        await shell.waitControl('exit');
        await t.admin.client.containers.remove.mutate({ hostId, id: created.id, force: true });
      });

      it('is refused to a gateway holding a certificate from another CA', async () => {
        const stranger = await startTestGateway();
        try {
          const added = await stranger.admin.client.hosts.add.mutate({
            name: 'remote',
            url: `tcp://127.0.0.1:${port}`,
            tls: true,
          });
          expect(added.health.status).toBe('down');
          const list = await stranger.admin.client.containers.list.query({ hostId: added.id });
          expect(list.hosts[0]!.ok).toBe(false);
          expect(list.hosts[0]!.error).toMatch(/host remote is unreachable/);
        } finally {
          await stranger.close();
        }
      });

      it('refuses plain TCP hosts and TLS on unix sockets', async () => {
        await expect(
          t.admin.client.hosts.add.mutate({ name: 'plain', url: 'tcp://127.0.0.1:2375', tls: false }),
        ).rejects.toThrow(/mutual TLS/);
        await expect(
          t.admin.client.hosts.add.mutate({ name: 'odd', url: 'unix:///run/x.sock', tls: true }),
        ).rejects.toThrow(/does not use TLS/);
      });
    },
  );
}
