import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { hijack, until } from './hijack.js';
import { berthdPid, openFds, processesMatching } from './proc.js';

/** 200 sessions of every kind, ended every way, leave berthd's fds and the process table as they were. */

const d = new TestDaemon();
let c = '';

beforeAll(async () => {
  await d.start();
  d.ok(['import', '--change', 'CMD ["/bin/sh"]', busyboxTar(), 'bb:latest']);
  c = d.ok(['run', '-d', '-it', '--name', 'leak-target', 'bb', 'sh', '-c', 'while true; do sleep 0.1; done']);
});
afterAll(() => d.cleanup());

async function createExec(body: Record<string, unknown>): Promise<string> {
  const r = await d.api(
    'POST',
    `/containers/${c}/exec`,
    JSON.stringify({ AttachStdout: true, AttachStderr: true, ...body }),
  );
  return (JSON.parse(r.body) as { Id: string }).Id;
}

async function exitCode(id: string): Promise<number | null> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const s = JSON.parse((await d.api('GET', `/exec/${id}/json`)).body) as {
      Running: boolean;
      ExitCode: number | null;
    };
    if (!s.Running && s.ExitCode !== null) return s.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`exec ${id} did not end`);
}

/** One session of kind i % 5, ended as that kind ends. */
async function session(i: number): Promise<void> {
  switch (i % 5) {
    case 0: {
      // Non-TTY exec to completion (runc exec child).
      const id = await createExec({ Cmd: ['sh', '-c', 'echo hi'] });
      const s = await hijack(d.socket, `/exec/${id}/start`, '{}');
      await s.ended;
      return;
    }
    case 1: {
      // TTY exec to completion (conmon).
      const id = await createExec({ Cmd: ['sh', '-c', 'exit 2'], Tty: true });
      const s = await hijack(d.socket, `/exec/${id}/start`, '{"Tty":true}');
      await s.ended;
      expect(await exitCode(id)).toBe(2);
      return;
    }
    case 2: {
      // TTY shell whose client vanishes: SIGHUP.
      const id = await createExec({ Cmd: ['sh'], Tty: true, AttachStdin: true });
      const s = await hijack(d.socket, `/exec/${id}/start`, '{"Tty":true}');
      s.write('echo x\r');
      await until(() => s.output().includes('x'));
      s.destroy();
      expect(await exitCode(id)).toBe(129);
      return;
    }
    case 3: {
      // Exec over the WebSocket stream, with stdin EOF.
      const id = await createExec({ Cmd: ['cat'], AttachStdin: true });
      const ws = new WebSocket(`ws+unix://${d.socket}:/exec/${id}/ws`);
      await new Promise((r) => ws.once('open', r));
      ws.send(Buffer.from('data'));
      ws.send(JSON.stringify({ type: 'eof' }));
      await new Promise((r) => ws.once('close', r));
      return;
    }
    default: {
      // Container attach, then the client goes away.
      const s = await hijack(d.socket, `/containers/${c}/attach?stream=1&stdin=1&stdout=1&stderr=1`, '');
      s.destroy();
      await s.ended;
    }
  }
}

describe('session cleanup', () => {
  it('200 sessions leave berthd’s fd count and the process table where they were', async () => {
    const pid = berthdPid(d.socket);
    // Warm up: lazily opened fds (inotify watches, thread pool, loaded modules) open now.
    for (let i = 0; i < 10; i++) await session(i);
    await new Promise((r) => setTimeout(r, 500));
    const before = openFds(pid);
    for (let i = 0; i < 200; i++) await session(i);
    let after = openFds(pid);
    for (let i = 0; i < 50 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = openFds(pid);
    }
    console.log(`berthd fds: ${before} before, ${after} after 200 sessions`);
    expect(after).toBeLessThanOrEqual(before);
    // No exec conmon or runc exec outlived its session.
    // (Only this daemon's: other test runs on the machine have their own.)
    expect(processesMatching('--exec-process-spec').filter((p) => readCmd(p).includes(d.root))).toEqual([]);
    expect(processesMatching(`${d.root}`).filter((p) => p !== pid && readCmd(p).includes('exec'))).toEqual([]);
  }, 300_000);
});

function readCmd(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
