/**
 * Interactive sessions, berthd vs dockerd side by side (same busybox image, same machine, runs
 * alternating so both see the same load). Not a CI test. Run as root:
 *   npx tsx bench/exec-throughput.ts [rounds]
 *
 * - exec output throughput without and with a TTY (`docker exec [-t] C head -c N /dev/zero`,
 *   CLI output to /dev/null), MB/s;
 * - keystroke round trip at the engine: one byte written to a hijacked TTY exec running
 *   `stty raw -echo; cat`, until its echo arrives; 1,000 keystrokes, p50/p99;
 * - `docker exec C true` latency;
 * - berthd's RSS while a client reads an endless exec slowly (hijacked, no TTY and TTY).
 */
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { hijack } from '../engine/test/exec/hijack.js';
import { type Engine, loadBusybox, median, rssMb, startBoth, timeMs } from './lib/engines.js';

const rounds = Number(process.argv[2] ?? 5);
const MB = 1_000_000;
const devNull = openSync('/dev/null', 'w');

function socketOf(e: Engine): string {
  return e.host.replace('unix://', '');
}

function api(e: Engine, method: string, path: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socketOf(e), path, method, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function execId(e: Engine, body: Record<string, unknown>): Promise<string> {
  return (JSON.parse(await api(e, 'POST', '/containers/execbench/exec', body)) as { Id: string }).Id;
}

/** Seconds for the CLI to stream `bytes` from the container into /dev/null. */
function throughput(e: Engine, bytes: number, tty: boolean): number {
  const args = ['exec', ...(tty ? ['-t'] : []), 'execbench', 'head', '-c', String(bytes), '/dev/zero'];
  const ms = timeMs(() => {
    const r = spawnSync('docker', args, {
      env: { ...process.env, DOCKER_HOST: e.host },
      stdio: ['ignore', devNull, 'inherit'],
    });
    if (r.status !== 0) throw new Error(`${e.name}: docker ${args.join(' ')} failed`);
  });
  return bytes / MB / (ms / 1000);
}

/** Round-trip times (ms) of `n` single keystrokes through a TTY exec's process. */
async function keystrokes(e: Engine, n: number): Promise<number[]> {
  const id = await execId(e, {
    Cmd: ['sh', '-c', 'stty raw -echo; echo ready; exec cat'],
    Tty: true,
    AttachStdin: true,
    AttachStdout: true,
  });
  const conn = await hijack(socketOf(e), `/exec/${id}/start`, JSON.stringify({ Tty: true }));
  const seen = () => conn.bytes();
  while (!conn.output().includes('ready')) await new Promise((r) => setTimeout(r, 5));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = seen();
    const t = process.hrtime.bigint();
    conn.write('k');
    // Busy-wait on the event loop: each turn lets the socket deliver the echo.
    while (seen() === before) await new Promise((r) => setImmediate(r));
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  conn.destroy();
  return times;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? Number.NaN;
}

/** berthd's RSS while a client reads an endless exec at ~1 MB/s for `seconds`. */
async function slowReader(e: Engine, tty: boolean, seconds: number): Promise<{ rss: number[]; read: number }> {
  const id = await execId(e, {
    Cmd: ['yes', 'the quick brown fox jumps over the lazy dog'],
    Tty: tty,
    AttachStdout: true,
    AttachStderr: true,
  });
  const conn = await hijack(socketOf(e), `/exec/${id}/start`, JSON.stringify({ Tty: tty }));
  const raw = conn.socket;
  const rss: number[] = [];
  // Take about 100 kB every 100 ms, then stop reading (the socket's receive side is paused).
  raw.pause();
  for (let i = 0; i < seconds * 10; i++) {
    const target = conn.bytes() + 100_000;
    raw.resume();
    const deadline = Date.now() + 50;
    while (conn.bytes() < target && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    raw.pause();
    await new Promise((r) => setTimeout(r, 100));
    if (i % 10 === 9) rss.push(rssMb(e.pid()));
  }
  const read = conn.bytes();
  conn.destroy();
  return { rss, read };
}

// No top-level await: tsx runs this file as CommonJS (the root package is not "type": "module").
async function main(): Promise<void> {
  const [berth, docker] = await startBoth();
  const engines: Engine[] = [berth, docker];
  try {
    for (const e of engines) loadBusybox(e);
    for (const e of engines) e.docker(['run', '-d', '--name', 'execbench', 'benchbox', 'sleep', '100000']);
    for (const e of engines) e.docker(['exec', 'execbench', 'true']); // warm-up

    const res: Record<string, Record<string, number[]>> = { berthd: {}, dockerd: {} };
    const add = (e: Engine, what: string, v: number) => {
      const byWhat = res[e.name]!;
      byWhat[what] = [...(byWhat[what] ?? []), v];
    };
    for (let i = 0; i < rounds; i++) {
      for (const e of engines) {
        add(
          e,
          'exec true (ms)',
          timeMs(() => e.docker(['exec', 'execbench', 'true'])),
        );
        add(
          e,
          'exec true (ms)',
          timeMs(() => e.docker(['exec', 'execbench', 'true'])),
        );
        add(e, 'no-TTY MB/s', throughput(e, 256 * MB, false));
        add(e, 'TTY MB/s', throughput(e, 64 * MB, true));
      }
    }
    for (const e of engines) {
      const ks = await keystrokes(e, 1000);
      add(e, 'keystroke p50 (ms)', percentile(ks, 50));
      add(e, 'keystroke p99 (ms)', percentile(ks, 99));
    }
    console.log(
      `${rounds} rounds, medians; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (const what of Object.keys(res.berthd!)) {
      const b = median(res.berthd![what]!);
      const d = median(res.dockerd![what]!);
      console.log(
        `${what.padEnd(20)} berthd ${b.toFixed(2).padStart(8)}   dockerd ${d.toFixed(2).padStart(8)}   berthd/dockerd ${(b / d).toFixed(2)}x`,
      );
    }
    for (const tty of [false, true]) {
      const before = rssMb(berth.pid());
      const { rss, read } = await slowReader(berth, tty, 10);
      console.log(
        `berthd RSS, slow reader (${tty ? 'TTY' : 'no TTY'}): ${before.toFixed(1)} MB before, ${rss.map((v) => v.toFixed(1)).join(' ')} MB each second; client read ${(read / MB).toFixed(1)} MB in 10 s`,
      );
    }
  } finally {
    for (const e of engines) await e.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
