// The console's Close button: {"type":"close"} on the shell WebSocket ends the shell at once —
// the exec is hung up (a running program too), the end is recorded, and the socket is closed —
// instead of the grace period a bare socket close starts.
import { beforeAll, describe, expect, it } from 'vitest';
import { containerTestbed } from '../support/container-testbed.js';
import { engineKinds } from '../support/engines.js';
import { provider, type TestGateway, type TestUser } from '../support/gateway.js';
import { ShellClient } from '../support/shell-client.js';

for (const { kind, unavailable } of engineKinds()) {
  describe.skipIf(unavailable)(
    `shell close message on ${kind} (${provider})${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    () => {
      const bed = containerTestbed(kind, {
        gateway: { shells: { graceMs: 60_000, pingIntervalMs: 15_000 } },
        name: 'closetest',
      });
      let t: TestGateway;
      let op: TestUser;
      let hostId: string;
      let containerId: string;

      beforeAll(async () => {
        if (!bed.t) return; // the engine did not start: the tests skip
        ({ t, hostId, containerId } = bed);
        op = await t.user('op', [{ hostId, role: 'operator' }]);
      });

      it('ends the shell, hangs up the running program, records the end and closes the socket', async () => {
        const { ticket, sessionId } = await op.client.shells.open.mutate({ hostId, containerId, cmd: ['/bin/sh'] });
        const client = await ShellClient.connect(t.url, { ticket });
        await client.waitControl('ready');
        await client.waitFor(/# /);
        // A program in the foreground: the hangup must reach it, not only the idle shell.
        await client.type('sleep 3600\r');
        await client.until(() => client.text.includes('sleep 3600'), 10_000, 'command echo');
        const t0 = Date.now();
        // The client says close and keeps its end open: the gateway is the one that closes.
        client.ws.send(JSON.stringify({ type: 'close' }));
        const closed = await client.waitClosed(15_000);
        expect(closed).toEqual({ code: 1000, reason: 'closed' });
        expect(Date.now() - t0).toBeLessThan(15_000);

        // Persisted before the socket closed: ended (not failed by a grace period), with the
        // exit status of a process that is no longer running.
        const session = await op.client.shells.get.query({ sessionId });
        expect(session).toMatchObject({ status: 'ended', live: false, error: null });
        expect(session.exitCode).not.toBeNull();
        expect(client.controls.some((c) => c.type === 'exit')).toBe(true);
        await expect(op.client.shells.reattach.mutate({ sessionId })).rejects.toThrow(/has ended/);

        await t.services.audit.flush();
        const { events } = await t.admin.client.audit.list.query({ hostId });
        const end = events.find((e) => e.action === 'shells.end' && JSON.stringify(e.params).includes(sessionId));
        expect(end?.result).toBe('ok');
      });

      it('ends a shell closed while its exec is still starting', async () => {
        const { ticket, sessionId } = await op.client.shells.open.mutate({ hostId, containerId, cmd: ['/bin/sh'] });
        const client = await ShellClient.connect(t.url, { ticket });
        client.ws.send(JSON.stringify({ type: 'close' }));
        expect((await client.waitClosed(15_000)).code).toBe(1000);
        const session = await op.client.shells.get.query({ sessionId });
        expect(session).toMatchObject({ status: 'ended', live: false, error: null });
      });
    },
  );
}
