import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { type ExecProcess, type ExecProcessSpec, ExecStartError } from '../../src/runtime/exec-types.js';
import type { OutputFrame } from '../../src/runtime/index.js';
import { uniqueId, useRuntimeHarness } from './harness.js';

const h = useRuntimeHarness();
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID'];
let seq = 0;

function spec(args: string[], extra: Partial<ExecProcessSpec> = {}): ExecProcessSpec {
  return {
    args,
    env: ['PATH=/bin', 'HOME=/root', 'TERM=xterm'],
    cwd: '/',
    user: { uid: 0, gid: 0 },
    capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
    ...extra,
  };
}

function execId(): string {
  return `x${process.pid}n${++seq}`;
}

function collect(p: ExecProcess): Promise<OutputFrame[]> {
  return new Promise((resolve, reject) => {
    const frames: OutputFrame[] = [];
    p.output?.on('data', (f: OutputFrame) => frames.push(f));
    p.output?.on('end', () => resolve(frames));
    p.output?.on('error', reject);
  });
}

const text = (frames: OutputFrame[], stream?: string) =>
  Buffer.concat(frames.filter((f) => !stream || f.stream === stream).map((f) => f.data)).toString();

/** Resolves once the accumulated output matches. */
function waitFor(p: ExecProcess, re: RegExp): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (f: OutputFrame) => {
      seen += f.data.toString();
      if (re.test(seen)) {
        p.output?.off('data', onData);
        resolve(seen);
      }
    };
    p.output?.on('data', onData);
    p.output?.once('end', () => reject(new Error(`output ended before ${re}: ${JSON.stringify(seen)}`)));
  });
}

describe('exec in a running task', () => {
  // The harness deletes every task after each test: each test starts its own.
  let id = '';
  beforeEach(async () => {
    id = uniqueId('exec');
    await h.create(id, { args: ['sleep', '100000'] });
    await h.runtime.start(id);
  });

  it('runs a process without a terminal: stdout, stderr, exit code, pid', async () => {
    const p = await h.runtime.exec(id, {
      execId: execId(),
      process: spec(['sh', '-c', 'echo out; echo err >&2; exit 3']),
      stdin: false,
      detach: false,
    });
    expect(p.pid).toBeGreaterThan(0);
    expect(p.stdin).toBeNull();
    const frames = await collect(p);
    expect(text(frames, 'stdout')).toBe('out\n');
    expect(text(frames, 'stderr')).toBe('err\n');
    expect(await p.exited).toBe(3);
  });

  it('feeds stdin until EOF', async () => {
    const p = await h.runtime.exec(id, { execId: execId(), process: spec(['cat']), stdin: true, detach: false });
    const out = collect(p);
    p.stdin?.write('hello\n');
    p.stdin?.end('world\n');
    expect(text(await out)).toBe('hello\nworld\n');
    expect(await p.exited).toBe(0);
  });

  it('reports a command that cannot start as Docker does (127, the runtime message)', async () => {
    const err = await h.runtime
      .exec(id, { execId: execId(), process: spec(['no-such-command']), stdin: false, detach: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecStartError);
    expect((err as ExecStartError).exitCode).toBe(127);
    expect((err as ExecStartError).message).toMatch(/no-such-command/);
    const tty = await h.runtime
      .exec(id, {
        execId: execId(),
        process: spec(['no-such-command'], { terminal: true }),
        stdin: true,
        detach: false,
      })
      .catch((e: unknown) => e);
    expect(tty).toBeInstanceOf(ExecStartError);
    expect((tty as ExecStartError).exitCode).toBe(127);
  });

  it('delivers 32 MiB of output complete and in order', async () => {
    const p = await h.runtime.exec(id, {
      execId: execId(),
      process: spec(['sh', '-c', 'i=0; while [ $i -lt 32 ]; do head -c 1048576 /bin/busybox; i=$((i+1)); done']),
      stdin: false,
      detach: false,
    });
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const f of p.output as AsyncIterable<OutputFrame>) {
      hash.update(f.data);
      bytes += f.data.length;
    }
    const expected = createHash('sha256');
    const { readFileSync } = await import('node:fs');
    const chunk = readFileSync('/bin/busybox').subarray(0, 1048576);
    for (let i = 0; i < 32; i++) expected.update(chunk);
    expect(bytes).toBe(32 * chunk.length);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    expect(await p.exited).toBe(0);
  });

  it('holds the writer when the reader stops (back-pressure), then resumes', async () => {
    const p = await h.runtime.exec(id, { execId: execId(), process: spec(['yes']), stdin: false, detach: false });
    const output = p.output;
    if (!output) throw new Error('no output');
    // Read nothing for a while: the pipe fills and `yes` blocks in write().
    await new Promise((r) => setTimeout(r, 300));
    expect(output.readableLength).toBeLessThanOrEqual(16);
    let read = 0;
    output.on('data', (f: OutputFrame) => {
      read += f.data.length;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(read).toBeGreaterThan(0);
    p.kill('SIGKILL');
    expect(await p.exited).toBe(137);
  });

  it('runs a TTY process under conmon: initial size, resize, exit code', async () => {
    const p = await h.runtime.exec(id, {
      execId: execId(),
      process: spec(['sh'], { terminal: true, consoleSize: { height: 30, width: 100 } }),
      stdin: true,
      detach: false,
    });
    expect(p.pid).toBeGreaterThan(0);
    p.stdin?.write('stty size\n');
    await waitFor(p, /30 100/);
    await p.resize({ height: 40, width: 120 });
    p.stdin?.write('stty size\n');
    await waitFor(p, /40 120/);
    p.stdin?.write('exit 5\n');
    p.output?.resume();
    expect(await p.exited).toBe(5);
  });

  it('hangs up a TTY session whose client is gone (SIGHUP), leaving no state behind', async () => {
    const eid = execId();
    const p = await h.runtime.exec(id, {
      execId: eid,
      process: spec(['sh'], { terminal: true }),
      stdin: true,
      detach: false,
    });
    p.stdin?.write('echo ready\n');
    await waitFor(p, /ready/);
    p.hangup();
    expect(await p.exited).toBe(129);
    // The state directory goes right after the exit is known.
    for (let i = 0; i < 100 && existsSync(join(h.root, 'exec', eid)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(h.root, 'exec', eid))).toBe(false);
  });

  it('ends a non-TTY writer whose client is gone (SIGPIPE), instead of writing into nothing', async () => {
    const p = await h.runtime.exec(id, { execId: execId(), process: spec(['yes']), stdin: false, detach: false });
    p.output?.once('data', () => p.hangup());
    const code = await p.exited;
    // yes dies of SIGPIPE (141), or runc of its own broken stdout first.
    expect([141, 1, 2]).toContain(code);
  });

  it('runs a detached exec to completion and reports its exit code', async () => {
    const p = await h.runtime.exec(id, {
      execId: execId(),
      process: spec(['sh', '-c', 'echo detached > /tmp/detached; exit 4']),
      stdin: false,
      detach: true,
    });
    expect(p.output).toBeNull();
    expect(await p.exited).toBe(4);
    const check = await h.runtime.exec(id, {
      execId: execId(),
      process: spec(['cat', '/tmp/detached']),
      stdin: false,
      detach: false,
    });
    expect(text(await collect(check))).toBe('detached\n');
  });

  it('leaves no exec state directories behind', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const left = existsSync(join(h.root, 'exec')) ? readdirSync(join(h.root, 'exec')) : [];
    expect(left).toEqual([]);
  });
});
