import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { parseControl, ShellConnection, type ShellState, type WebSocketCtor } from '@/lib/shellConnection';

// A real WebSocket server stands in for the gateway's /ws/shell: it records what the browser
// side sends and lets each test drive the other direction.
type Conn = { url: URL; socket: WebSocket; received: Array<{ binary: boolean; data: string }> };

let wss: WebSocketServer;
let conns: Conn[];
let baseUrl: string;

beforeEach(async () => {
  conns = [];
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  baseUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/shell`;
  wss.on('connection', (socket, req) => {
    const c: Conn = { url: new URL(req.url ?? '/', 'http://x'), socket, received: [] };
    socket.on('message', (data, isBinary) => c.received.push({ binary: isBinary, data: data.toString() }));
    conns.push(c);
  });
});

afterEach(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

async function until(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(reattach: (id: string) => Promise<{ ticket: string }>, graceMs = 5000) {
  const states: ShellState[] = [];
  const details: Array<string | undefined> = [];
  let output = '';
  const dec = new TextDecoder();
  const conn = new ShellConnection(
    { baseUrl, reattach, WebSocketImpl: WebSocket as unknown as WebSocketCtor, graceMs, backoffMs: [20, 40] },
    {
      output: (b) => {
        output += dec.decode(b);
      },
      state: (s, d) => {
        states.push(s);
        details.push(d);
      },
    },
  );
  return { conn, states, details, output: () => output };
}

describe('ShellConnection', () => {
  it('exchanges terminal bytes as binary frames and control messages as JSON text', async () => {
    const t = setup(async () => ({ ticket: 'unused' }));
    t.conn.resize(100, 40); // before open: must be sent once the socket opens
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    expect(Object.fromEntries(conns[0]!.url.searchParams)).toEqual({ ticket: 'T1', cols: '100', rows: '40' });
    conns[0]?.socket.send(Buffer.from('hello\r\n'), { binary: true });
    t.conn.send('ls\r');
    await until(() => t.output() === 'hello\r\n' && (conns[0]?.received.length ?? 0) >= 2);
    expect(conns[0]?.received).toEqual([
      { binary: false, data: '{"type":"resize","cols":100,"rows":40}' },
      { binary: true, data: 'ls\r' },
    ]);
  });

  it('reattaches to the same session with a new ticket after a dropped connection', async () => {
    const asked: string[] = [];
    const t = setup(async (id) => {
      asked.push(id);
      return { ticket: 'T2' };
    });
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    conns[0]?.socket.terminate();
    await until(() => conns.length === 2 && t.states.filter((s) => s === 'open').length === 2);
    expect(asked).toEqual(['S1']);
    expect(t.states).toContain('reconnecting');
    expect(Object.fromEntries(conns[1]!.url.searchParams)).toEqual({ session: 'S1', ticket: 'T2' });
    expect(t.conn.reconnects).toBe(1);
  });

  it('tells the server when the user closes the session, and does not reconnect', async () => {
    const t = setup(async () => {
      throw new Error('must not be called');
    });
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    t.conn.close();
    await until(() => conns[0]?.received.length === 1);
    expect(conns[0]?.received[0]).toEqual({ binary: false, data: '{"type":"close"}' });
    await new Promise((r) => setTimeout(r, 100));
    expect(t.states.at(-1)).toBe('closed');
    expect(conns).toHaveLength(1);
  });

  it('does not reconnect after the process exited', async () => {
    const t = setup(async () => {
      throw new Error('must not be called');
    });
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    conns[0]?.socket.send('{"type":"exit","code":3}');
    await until(() => t.states.includes('exited'));
    conns[0]?.socket.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(t.states.at(-1)).toBe('exited');
    expect(t.details.at(-1)).toBe('exit code 3');
    expect(conns).toHaveLength(1);
  });

  it('fails at once when the gateway refuses the reattach', async () => {
    const t = setup(async () => {
      throw Object.assign(new Error('session ended'), { data: { code: 'NOT_FOUND' } });
    });
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    conns[0]?.socket.terminate();
    await until(() => t.states.includes('failed'));
    expect(t.details.at(-1)).toBe('session ended');
  });

  it('gives up when the grace period runs out', async () => {
    const t = setup(async () => {
      throw new Error('network down'); // no tRPC code: worth retrying until the grace period ends
    }, 150);
    t.conn.start('T1', 'S1');
    await until(() => t.states.includes('open'));
    conns[0]?.socket.terminate();
    await until(() => t.states.includes('failed'), 3000);
    expect(t.details.at(-1)).toMatch(/could not be resumed/);
  });
});

describe('parseControl', () => {
  it('accepts the three server messages and ignores anything else', () => {
    expect(parseControl('{"type":"ready","sessionId":"a","recorded":true}')).toEqual({
      type: 'ready',
      sessionId: 'a',
      recorded: true,
    });
    expect(parseControl('{"type":"nope"}')).toBeNull();
    expect(parseControl('not json')).toBeNull();
  });
});
