import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import type { AttachStream, OutputFrame } from '../../src/runtime/index.js';
import { uniqueId, useRuntimeHarness } from './harness.js';

const h = useRuntimeHarness();

function collect(stream: AttachStream): Promise<OutputFrame[]> {
  return new Promise((resolve, reject) => {
    const frames: OutputFrame[] = [];
    stream.output.on('data', (f: OutputFrame) => frames.push(f));
    stream.output.on('end', () => resolve(frames));
    stream.output.on('error', reject);
  });
}

function text(frames: OutputFrame[], stream?: 'stdout' | 'stderr'): string {
  return Buffer.concat(frames.filter((f) => !stream || f.stream === stream).map((f) => f.data)).toString();
}

describe('attach through conmon', () => {
  it('sends stdin to cat and reads it back; EOF on stdin ends cat', async () => {
    const id = uniqueId('cat');
    await h.create(id, { args: ['cat'], stdin: true, stdinOnce: true });
    const attach = await h.runtime.attach(id, { stdin: true });
    const out = collect(attach);
    await h.runtime.start(id);
    expect(attach.stdin).not.toBeNull();
    attach.stdin?.write('hello\n');
    // More than one of conmon's stdin packets in a single write.
    const big = 'x'.repeat(20_000);
    attach.stdin?.end(`${big}\n`);
    expect(text(await out)).toBe(`hello\n${big}\n`);
    expect((await h.runtime.wait(id)).exitCode).toBe(0);
  });

  it('keeps stdout and stderr apart', async () => {
    const id = uniqueId('streams');
    await h.create(id, { args: ['sh', '-c', 'echo out; echo err >&2; echo out2'] });
    const attach = await h.runtime.attach(id, { stdin: false });
    expect(attach.stdin).toBeNull();
    const out = collect(attach);
    await h.runtime.start(id);
    const frames = await out;
    expect(text(frames, 'stdout')).toBe('out\nout2\n');
    expect(text(frames, 'stderr')).toBe('err\n');
    expect((await h.runtime.wait(id)).exitCode).toBe(0);
  });

  it('resizes a TTY task', async () => {
    const id = uniqueId('tty');
    await h.create(id, { args: ['sh', '-c', 'sleep 0.5; stty size'], terminal: true });
    const attach = await h.runtime.attach(id, { stdin: false });
    const out = collect(attach);
    await h.runtime.start(id);
    await h.runtime.resize(id, { height: 40, width: 100 });
    const frames = await out;
    expect(frames.every((f) => f.stream === 'stdout')).toBe(true);
    expect(text(frames)).toContain('40 100');
    expect((await h.runtime.wait(id)).exitCode).toBe(0);
    await expect(h.runtime.resize(id, { height: 1, width: 1 })).rejects.toSatisfy((e) =>
      isEngineError(e, 'NOT_RUNNING'),
    );
  });

  it('refuses to attach to a task that has exited', async () => {
    const id = uniqueId('gone');
    await h.create(id, { args: ['true'] });
    await h.runtime.start(id);
    await h.runtime.wait(id);
    await expect(h.runtime.attach(id, { stdin: false })).rejects.toSatisfy((e) => isEngineError(e, 'NOT_RUNNING'));
    await expect(h.runtime.attach('no-such-task', { stdin: false })).rejects.toSatisfy((e) =>
      isEngineError(e, 'NO_SUCH_CONTAINER'),
    );
  });

  it('opens and closes 200 attach connections without leaking fds or crashing', async () => {
    const id = uniqueId('many');
    // Prints a line every 10 ms, so connections are closed while output is arriving.
    await h.create(id, { args: ['sh', '-c', 'while true; do echo tick; sleep 0.01; done'] });
    await h.runtime.start(id);
    const fds = () => readdirSync('/proc/self/fd').length;
    const warm = await h.runtime.attach(id, { stdin: false });
    warm.close();
    await new Promise((r) => setTimeout(r, 50));
    const before = fds();
    let ticks = 0;
    for (let i = 0; i < 200; i++) {
      const attach = await h.runtime.attach(id, { stdin: false });
      if (i % 2 === 0) {
        // Close from inside the data handler: the case that used to crash node-unix-socket.
        await new Promise<void>((resolve) => {
          attach.output.once('data', () => {
            ticks++;
            attach.close();
            resolve();
          });
        });
      } else {
        attach.close();
      }
      await new Promise<void>((resolve) => {
        if (attach.output.readableEnded || attach.output.destroyed) resolve();
        else {
          attach.output.on('close', () => resolve());
          attach.output.on('end', () => resolve());
          attach.output.resume();
        }
      });
    }
    for (let i = 0; i < 50 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fds()).toBe(before);
    expect(ticks).toBe(100);
    expect((await h.runtime.state(id)).status).toBe('running');
  });
});
