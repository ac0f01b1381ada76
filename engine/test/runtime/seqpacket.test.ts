import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeqpacketServer, type SeqpacketSocket } from 'node-unix-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSeqpacket, type SeqpacketConnection } from '../../src/runtime/seqpacket.js';

// A SOCK_SEQPACKET echo server standing in for conmon's attach socket: every packet comes back
// prefixed with byte 2, the way conmon frames stdout.
let dir: string;
let server: SeqpacketServer;
let socketPath: string;
const serverSockets = new Set<SeqpacketSocket>();

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function collect(conn: SeqpacketConnection): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    conn.packets.on('data', (p: Buffer) => out.push(p));
    conn.packets.on('end', () => resolve(out));
    conn.packets.on('error', reject);
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-seqpacket-'));
  socketPath = join(dir, 'attach');
  server = new SeqpacketServer();
  server.on('connection', (sock: SeqpacketSocket) => {
    serverSockets.add(sock);
    sock.on('error', () => {});
    sock.on('data', (buf: Buffer) => {
      if (buf.toString() === 'bye') {
        // The server hangs up: the client must see EOF. Never destroy inside the handler.
        setImmediate(() => {
          sock.destroy();
          serverSockets.delete(sock);
        });
        return;
      }
      sock.write(Buffer.concat([Buffer.from([2]), buf]));
    });
    sock.on('end', () =>
      setImmediate(() => {
        sock.destroy();
        serverSockets.delete(sock);
      }),
    );
  });
  server.listen(socketPath);
});

afterAll(() => {
  for (const s of serverSockets) s.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connectSeqpacket', () => {
  it('keeps packet boundaries both ways', async () => {
    const conn = await connectSeqpacket(socketPath);
    const got = collect(conn);
    await conn.send(Buffer.from('one'));
    await conn.send(Buffer.from('two'));
    await conn.send(Buffer.from('bye'));
    const packets = await got;
    expect(packets.map((p) => [p[0], p.subarray(1).toString()])).toEqual([
      [2, 'one'],
      [2, 'two'],
    ]);
    await conn.closed;
  });

  it('rejects a socket that does not exist', async () => {
    await expect(connectSeqpacket(join(dir, 'missing'))).rejects.toThrow();
  });

  it('connects through a path longer than sun_path', async () => {
    const deep = join(dir, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    const longServer = new SeqpacketServer();
    const longPath = join(deep, 'attach');
    // bind(2) has the same limit, so the test server binds through /proc/self/fd as conmon does.
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(deep, 'r');
    longServer.listen(`/proc/self/fd/${fd}/attach`);
    closeSync(fd);
    let accepted: SeqpacketSocket | undefined;
    longServer.on('connection', (s: SeqpacketSocket) => {
      accepted = s;
      s.on('error', () => {});
    });
    expect(Buffer.byteLength(longPath)).toBeGreaterThan(107);
    const conn = await connectSeqpacket(longPath);
    conn.close();
    await conn.closed;
    await new Promise((r) => setTimeout(r, 20));
    accepted?.destroy();
    longServer.close();
  });

  it('survives close() called from inside a data handler', async () => {
    const conn = await connectSeqpacket(socketPath);
    const done = new Promise<void>((resolve) => {
      conn.packets.on('data', () => {
        conn.close();
        conn.close();
      });
      conn.packets.on('end', () => resolve());
    });
    await conn.send(Buffer.from('ping'));
    await done;
    await conn.closed;
    await expect(conn.send(Buffer.from('late'))).rejects.toThrow(/closed/);
  });

  it('opens and closes 200 connections without leaking fds', async () => {
    // Warm up: the first connection loads native state that stays for the process lifetime.
    const warm = await connectSeqpacket(socketPath);
    warm.close();
    await warm.closed;
    await new Promise((r) => setTimeout(r, 50));
    const before = fdCount();
    for (let i = 0; i < 200; i++) {
      const conn = await connectSeqpacket(socketPath);
      if (i % 2 === 0) {
        const got = collect(conn);
        await conn.send(Buffer.from(`n${i}`));
        // Half of them close while output may still be arriving.
        if (i % 4 === 0) conn.close();
        else await conn.send(Buffer.from('bye'));
        await got;
      } else {
        conn.end();
        conn.close();
      }
      await conn.closed;
    }
    // Let the server side notice the hang-ups and release its ends.
    for (let i = 0; i < 50 && fdCount() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fdCount()).toBe(before);
  });

  it('fails a connection whose reader falls too far behind instead of buffering without bound', async () => {
    const conn = await connectSeqpacket(socketPath, { maxQueuedPackets: 8 });
    // Nobody reads `packets`; the echo server sends one packet back per packet sent.
    const failed = new Promise<Error>((resolve) => conn.packets.on('error', resolve));
    for (let i = 0; i < 20; i++) await conn.send(Buffer.from(`p${i}`));
    expect((await failed).message).toMatch(/too slow: 8 packets queued/);
    await conn.closed;
  });

  it('drops packets past the limit (overflow: drop) and delivers again once the reader catches up', async () => {
    const conn = await connectSeqpacket(socketPath, { maxQueuedPackets: 8, overflow: 'drop' });
    conn.packets.pause();
    for (let i = 0; i < 20; i++) await conn.send(Buffer.from(`p${i}`.padStart(3, '0')));
    // 8 queued, 12 echoes of 4 bytes (prefix byte + 3) dropped.
    for (let i = 0; i < 200 && conn.droppedBytes < 48; i++) await new Promise((r) => setTimeout(r, 5));
    expect(conn.droppedBytes).toBe(48);
    const first: string[] = [];
    for (let p = conn.packets.read() as Buffer | null; p; p = conn.packets.read() as Buffer | null) {
      first.push(p.subarray(1).toString());
    }
    expect(first).toEqual(['0p0', '0p1', '0p2', '0p3', '0p4', '0p5', '0p6', '0p7']);
    const more = new Promise<Buffer>((resolve) => conn.packets.once('data', resolve));
    conn.packets.resume();
    await conn.send(Buffer.from('again'));
    expect((await more).subarray(1).toString()).toBe('again');
    conn.close();
    await conn.closed;
  });
});
