// Shells end to end against real engines: a container is created and started through the
// gateway, a Node WebSocket client types into it, the recording is compared byte for byte with
// what the client saw, and every step is in the audit trail.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordingStore } from '../../src/recording/store.js';
import { BUSYBOX_IMAGE } from '../support/busybox.js';
import { containerTestbed } from '../support/container-testbed.js';
import { engineKinds } from '../support/engines.js';
import { provider, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';
import { parseCast, ShellClient } from '../support/shell-client.js';

for (const { kind, unavailable } of engineKinds()) {
  describe.skipIf(unavailable)(
    `shells on ${kind} (${provider})${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    () => {
      const bed = containerTestbed(kind, {
        gateway: { shells: { graceMs: 3000, pingIntervalMs: 250, echoWindowMs: 500 } },
        name: 'shelltest',
      });
      let t: TestGateway;
      let op: TestUser;
      let viewer: TestUser;
      let hostId: string;
      let containerId: string;

      beforeAll(async () => {
        if (!bed.t) return; // the engine did not start: the tests skip
        ({ t, hostId, containerId } = bed);
        op = await t.user('op', [{ hostId, role: 'operator' }]);
        viewer = await t.user('viewer', [{ hostId, role: 'viewer' }]);
      });

      async function openShell(user = op, cmd = ['/bin/sh']): Promise<{ client: ShellClient; sessionId: string }> {
        const { ticket, sessionId } = await user.client.shells.open.mutate({ hostId, containerId, cmd });
        const client = await ShellClient.connect(t.url, { ticket, cols: '100', rows: '30' });
        await client.waitControl('ready');
        return { client, sessionId };
      }

      async function recording(sessionId: string, token = op.token): Promise<string> {
        const res = await fetch(`${t.url}/api/shells/${sessionId}/recording`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('application/x-asciicast');
        return res.text();
      }

      it('create → start → exec over WebSocket → stop → remove, each audited; the recording replays to the bytes seen', async () => {
        const created = await op.client.containers.create.mutate({
          hostId,
          image: BUSYBOX_IMAGE,
          cmd: ['sleep', '600'],
          name: 'lifecycle',
        });
        const listed = await viewer.client.containers.list.query({ hostId });
        expect(listed.hosts[0]!.ok).toBe(true);
        expect(listed.hosts[0]!.containers.find((c) => c.id === created.id)?.state).toBe('running');

        const { ticket, sessionId } = await op.client.shells.open.mutate({
          hostId,
          containerId: created.id,
          cmd: ['/bin/sh'],
        });
        const client = await ShellClient.connect(t.url, { ticket });
        expect(await client.waitControl('ready')).toMatchObject({ sessionId, recorded: true });
        client.resize(120, 40);
        await client.waitFor(/# /); // a person types at the prompt
        await client.type('echo hi\r');
        await client.waitFor(/\r\nhi\r\n/);
        await client.type('exit\r');
        expect(await client.waitControl('exit')).toMatchObject({ code: 0 });
        expect((await client.waitClosed()).code).toBe(1000);

        await op.client.containers.stop.mutate({ hostId, id: created.id, t: 1 });
        await op.client.containers.remove.mutate({ hostId, id: created.id });
        const after = await viewer.client.containers.list.query({ hostId });
        expect(after.hosts[0]!.containers.some((c) => c.id === created.id)).toBe(false);

        // The recording: a v2 header, the resize, and output that is exactly what the client got.
        const cast = parseCast(await recording(sessionId));
        expect(cast.header).toMatchObject({ version: 2, width: 80, height: 24 });
        expect(typeof cast.header.timestamp).toBe('number');
        expect(cast.events.some(([, code, data]) => code === 'r' && data === '120x40')).toBe(true);
        const output = cast.events
          .filter(([, code]) => code === 'o')
          .map(([, , data]) => data)
          .join('');
        expect(Buffer.from(output, 'utf8').equals(client.bytes)).toBe(true);
        const typed = cast.events
          .filter(([, code]) => code === 'i')
          .map(([, , data]) => data)
          .join('');
        expect(typed).toContain('echo hi');
        const times = cast.events.map(([time]) => time);
        expect([...times].sort((a, b) => a - b)).toEqual(times);

        // The exec-session row and the audit trail.
        const session = await op.client.shells.get.query({ sessionId });
        expect(session).toMatchObject({ status: 'ended', exitCode: 0, recorded: true, live: false });
        expect(session.bytesOut).toBe(client.bytes.length);
        await t.services.audit.flush();
        const { events } = await t.admin.client.audit.list.query({ hostId });
        const trail = events
          .filter((e) => e.actorName === 'op' && (e.target === created.id || e.target === 'lifecycle'))
          .reverse()
          .map((e) => `${e.action}:${e.result}`);
        expect(trail).toEqual([
          'containers.create:ok',
          'shells.open:ok',
          'shells.end:ok',
          'containers.stop:ok',
          'containers.remove:ok',
        ]);
        expect(await t.admin.client.audit.verify.query()).toMatchObject({ ok: true });
      });

      it('keeps input typed with the terminal echo off out of the recording', async () => {
        const { client, sessionId } = await openShell();
        // A shell line for the container's sh, not a JS template.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion
        await client.type('stty -echo; read -r secret; stty echo; echo got-${#secret}\r', 2);
        await new Promise((r) => setTimeout(r, 300));
        await client.type('hunter2', 30);
        await client.type('\r');
        await client.waitFor(/got-7/);
        await client.type('echo visible\r', 2);
        await client.waitFor(/\r\nvisible\r\n/);
        await client.type('exit\r');
        await client.waitControl('exit');
        const cast = parseCast(await recording(sessionId));
        const typed = cast.events
          .filter(([, code]) => code === 'i')
          .map(([, , data]) => data)
          .join('');
        expect(typed).toContain('echo visible');
        expect(typed).not.toMatch(/h.*u.*n.*t.*e.*r.*2/s);
        expect(JSON.stringify(cast.events)).not.toContain('hunter2');
        expect(cast.events.some(([, code]) => code === 'm')).toBe(true);
        expect(client.text).not.toContain('hunter2');
      });

      it('survives a dropped browser: reattach within the grace period and see what was missed', async () => {
        const { client, sessionId } = await openShell();
        await client.type('echo one\r');
        await client.waitFor(/\r\none\r\n/);
        await client.type('sleep 0.5; echo later\r');
        await client.until(() => client.text.includes('sleep 0.5'), 5000, 'command echo');
        client.ws.terminate();
        await new Promise((r) => setTimeout(r, 900));
        expect((await op.client.shells.get.query({ sessionId })).status).toBe('detached');
        // Someone else cannot take the session over.
        await expect(viewer.client.shells.reattach.mutate({ sessionId })).rejects.toThrow();
        const { ticket } = await op.client.shells.reattach.mutate({ sessionId });
        const back = await ShellClient.connect(t.url, { ticket, session: sessionId });
        await back.waitControl('ready');
        await back.waitFor(/later/);
        await back.type('echo two\r');
        await back.waitFor(/\r\ntwo\r\n/);
        await back.type('exit\r');
        expect(await back.waitControl('exit')).toMatchObject({ code: 0 });
      });

      it('ends a shell whose browser does not come back within the grace period', async () => {
        const { client, sessionId } = await openShell();
        client.ws.terminate();
        await new Promise((r) => setTimeout(r, 4500));
        const session = await op.client.shells.get.query({ sessionId });
        expect(session.live).toBe(false);
        expect(session.error).toMatch(/grace period/);
        await expect(op.client.shells.reattach.mutate({ sessionId })).rejects.toThrow(/has ended/);
      });

      it('keeps an idle shell open with ping/pong', async () => {
        const { client } = await openShell();
        await new Promise((r) => setTimeout(r, 1500));
        expect(client.pings).toBeGreaterThanOrEqual(3);
        expect(client.closed).toBeNull();
        await client.type('echo awake\r');
        await client.waitFor(/\r\nawake\r\n/);
        await client.type('exit\r');
        await client.waitControl('exit');
      });

      it('streams large output completely and records all of it', async () => {
        const { client, sessionId } = await openShell();
        await client.type("yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 3000000; echo '<END>'\r");
        await client.waitFor(/<END>\r\n/, 30_000);
        await client.type('exit\r');
        await client.waitControl('exit');
        const cast = parseCast(await recording(sessionId));
        const output = cast.events
          .filter(([, code]) => code === 'o')
          .map(([, , data]) => data)
          .join('');
        expect(Buffer.from(output, 'utf8').equals(client.bytes)).toBe(true);
        expect(client.bytes.length).toBeGreaterThan(3_000_000);
      });

      it('accepts a ticket once, only before it expires, and only from its own user', async () => {
        const { ticket } = await op.client.shells.open.mutate({ hostId, containerId, cmd: ['/bin/sh'] });
        await expect(ShellClient.connect(t.url, { ticket: 'bst_forged' })).rejects.toThrow(/401/);
        const other = await t.user('other', [{ hostId, role: 'operator' }]);
        await expect(
          ShellClient.connect(t.url, { ticket }, { authorization: `Bearer ${other.token}` }),
        ).rejects.toThrow(/401/);
        // That attempt used the ticket up.
        await expect(ShellClient.connect(t.url, { ticket })).rejects.toThrow(/401/);
        const fresh = await op.client.shells.open.mutate({ hostId, containerId, cmd: ['/bin/sh'] });
        await expect(
          ShellClient.connect(t.url, { ticket: fresh.ticket }, { origin: 'http://evil.example' }),
        ).rejects.toThrow(/403/);
        await expect(viewer.client.shells.open.mutate({ hostId, containerId, cmd: ['/bin/sh'] })).rejects.toThrow(
          /operator/,
        );
      });

      it('ends the shell when its recording cannot be written, and never starts one it cannot record', async () => {
        let failWrites = false;
        let failCreate = false;
        const failing: RecordingStore = {
          async create() {
            if (failCreate) throw new Error('no space left on device');
            return {
              async write() {
                if (failWrites) throw new Error('disk went away');
              },
              async close() {},
            };
          },
          open: async () => null,
          size: async () => null,
        };
        const other = await startTestGateway({ recordings: failing });
        try {
          const otherHost = await other.addHost(kind, bed.hostUrl);
          const { ticket, sessionId } = await other.admin.client.shells.open.mutate({
            hostId: otherHost,
            containerId,
            cmd: ['/bin/sh'],
          });
          const client = await ShellClient.connect(other.url, { ticket });
          await client.waitControl('ready');
          await client.waitFor(/# /);
          // The disk goes away at the prompt (the recorder stores what arrives together, so a
          // count of writes would say little about how far the shell has got).
          failWrites = true;
          await client.type('echo one\r');
          const error = await client.waitControl('error');
          expect(error.message).toMatch(/recording failed: disk went away/);
          await client.waitClosed();
          expect(client.text).not.toMatch(/\r\none\r\n/); // the command's output was never recorded, so never shown
          const row = await other.admin.client.shells.get.query({ sessionId });
          expect(row.status).toBe('failed');
          expect(row.live).toBe(false);

          failCreate = true;
          const second = await other.admin.client.shells.open.mutate({
            hostId: otherHost,
            containerId,
            cmd: ['/bin/sh'],
          });
          const refused = await ShellClient.connect(other.url, { ticket: second.ticket });
          expect((await refused.waitControl('error')).message).toMatch(/no space left/);
          expect(refused.controls.some((c) => c.type === 'ready')).toBe(false);
          expect(refused.chunks).toHaveLength(0);
          expect((await other.admin.client.shells.get.query({ sessionId: second.sessionId })).status).toBe('failed');
        } finally {
          await other.close();
        }
      });

      it('lets only the owner, host admins and gateway admins read a recording', async () => {
        const { client, sessionId } = await openShell();
        await client.type('exit\r');
        await client.waitControl('exit');
        const get = (token: string) =>
          fetch(`${t.url}/api/shells/${sessionId}/recording`, { headers: { authorization: `Bearer ${token}` } });
        expect((await get(viewer.token)).status).toBe(404);
        expect((await get(t.admin.token)).status).toBe(200);
        expect((await fetch(`${t.url}/api/shells/${sessionId}/recording`)).status).toBe(401);
      });
    },
  );
}
