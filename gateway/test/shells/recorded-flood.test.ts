// A flood through a shell while the recording is slow, then while it fails: the browser never
// holds a byte the recording does not (checked at every frame it receives), the flood arrives
// complete and in order, and a failed write ends the shell with nothing after it shown.
import { describe, expect, it } from 'vitest';
import type { RecordingStore } from '../../src/recording/store.js';
import { containerTestbed } from '../support/container-testbed.js';
import { engineKinds } from '../support/engines.js';
import { provider } from '../support/gateway.js';
import { ShellClient } from '../support/shell-client.js';

/** A recording store in memory whose writes take `delayMs` and fail once `failAfterBytes` of output are stored. */
function slowStore() {
  const opts = { delayMs: 0, failAfterBytes: Number.POSITIVE_INFINITY };
  const output = new Map<string, Buffer[]>();
  const storedBytes = new Map<string, number>();
  const store: RecordingStore = {
    async create(key) {
      const out: Buffer[] = [];
      output.set(key, out);
      let stored = 0;
      storedBytes.set(key, 0);
      return {
        async write(lines) {
          await new Promise((r) => setTimeout(r, opts.delayMs));
          if (stored > opts.failAfterBytes) throw new Error('disk went away');
          for (const line of lines.toString('utf8').trimEnd().split('\n')) {
            const event = JSON.parse(line) as unknown;
            if (Array.isArray(event) && event[1] === 'o') {
              const bytes = Buffer.from(event[2] as string, 'utf8');
              out.push(bytes);
              stored += bytes.length;
            }
          }
          storedBytes.set(key, stored);
        },
        async close() {},
      };
    },
    open: async () => null,
    size: async () => null,
  };
  return {
    store,
    opts,
    stored: (key: string) => Buffer.concat(output.get(key) ?? []),
    storedBytes: (key: string) => storedBytes.get(key) ?? 0,
  };
}

// seq's output, as a terminal shows it.
const seqOutput = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\r\n`).join('');

for (const { kind, unavailable } of engineKinds()) {
  describe.skipIf(unavailable)(
    `recorded flood on ${kind} (${provider})${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    () => {
      const recordings = slowStore();
      const bed = containerTestbed(kind, { gateway: { recordings: recordings.store }, name: 'floodtest' });

      /** A shell whose client checks, at every frame, that the recording already holds what it has. */
      async function openWatched() {
        const { t, hostId, containerId } = bed;
        const { ticket, sessionId } = await t.admin.client.shells.open.mutate({
          hostId,
          containerId,
          cmd: ['/bin/sh'],
        });
        const client = await ShellClient.connect(t.url, { ticket });
        let received = 0;
        const ahead: number[] = [];
        client.ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (!isBinary) return;
          received += data.length;
          // Same process: the gateway sent this frame after its write completed, or never.
          if (recordings.storedBytes(sessionId) < received) ahead.push(received);
        });
        await client.waitControl('ready');
        await client.waitFor(/# /);
        return { client, sessionId, ahead };
      }

      it('delivers a flood complete and in order, never ahead of a slow recording', async () => {
        recordings.opts.delayMs = 3;
        recordings.opts.failAfterBytes = Number.POSITIVE_INFINITY;
        const { client, sessionId, ahead } = await openWatched();
        const n = 60_000;
        await client.type(`seq ${n}; echo '<END>'\r`);
        await client.waitFor(/<END>\r\n/, 60_000);
        await client.type('exit\r');
        await client.waitControl('exit');
        expect(ahead).toEqual([]);
        const text = client.text;
        const start = text.indexOf('\r\n1\r\n2\r\n') + 2;
        expect(text.slice(start, start + seqOutput(n).length)).toBe(seqOutput(n));
        expect(recordings.stored(sessionId).equals(client.bytes)).toBe(true);
      });

      it('ends the shell when a write fails mid-flood, having shown exactly what was stored', async () => {
        recordings.opts.delayMs = 2;
        recordings.opts.failAfterBytes = 100_000;
        const { client, sessionId, ahead } = await openWatched();
        await client.type(`seq 200000; echo '<END>'\r`);
        const error = await client.waitControl('error', 60_000);
        expect(error.message).toMatch(/recording failed: disk went away/);
        await client.waitClosed();
        expect(ahead).toEqual([]);
        expect(client.text).not.toMatch(/<END>\r\n/);
        const stored = recordings.stored(sessionId);
        expect(stored.length).toBeGreaterThan(100_000);
        expect(client.bytes.equals(stored)).toBe(true);
        expect((await bed.t.admin.client.shells.get.query({ sessionId })).status).toBe('failed');
      });
    },
  );
}
