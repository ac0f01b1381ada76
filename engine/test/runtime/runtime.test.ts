import { spawn } from 'node:child_process';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { isMountpoint, mountAll, unmount } from '../../src/mount/mount.js';
import { ConmonRuntime, checkDependencies } from '../../src/runtime/index.js';
import { makeBundle } from './fixture.js';
import { silentLog, uniqueId, useRuntimeHarness } from './harness.js';

const h = useRuntimeHarness();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function run(cmd: string, args: string[], opts: { stdio: 'ignore' }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, opts);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

describe('ConmonRuntime lifecycle (real conmon + runc)', () => {
  it('finds its dependencies, and names every missing one', async () => {
    await h.runtime.checkDependencies();
    await expect(
      checkDependencies({ runtimePath: '/nonexistent/runc', conmonPath: '/nonexistent/conmon' }),
    ).rejects.toThrow(/OCI runtime not found at \/nonexistent\/runc[\s\S]*conmon not found at \/nonexistent\/conmon/);
  });

  it('runs echo hi: exit 0, output in the k8s-file log', async () => {
    const id = uniqueId('echo');
    const { pid, logPath } = await h.create(id, { args: ['echo', 'hi'] });
    expect(pid).toBeGreaterThan(0);
    expect(await h.runtime.state(id)).toEqual({ status: 'created', pid });
    await h.runtime.start(id);
    const status = await h.runtime.wait(id);
    expect(status.exitCode).toBe(0);
    expect(status.oomKilled).toBe(false);
    expect(status.exitedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(Math.abs(Date.parse(status.exitedAt) - Date.now())).toBeLessThan(60_000);
    expect(await readFile(logPath, 'utf8')).toMatch(/^\S+ stdout F hi\n$/);
    expect((await h.runtime.state(id)).status).toBe('stopped');
  });

  it('propagates a non-zero exit code', async () => {
    const id = uniqueId('exit3');
    await h.create(id, { args: ['sh', '-c', 'exit 3'] });
    await h.runtime.start(id);
    expect((await h.runtime.wait(id)).exitCode).toBe(3);
    expect((await h.runtime.exitStatus(id))?.exitCode).toBe(3);
  });

  it('measures create → start → exit of `true`', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = uniqueId('true');
      const t0 = performance.now();
      await h.create(id, { args: ['true'] });
      const t1 = performance.now();
      await h.runtime.start(id);
      const t2 = performance.now();
      const { exitCode } = await h.runtime.wait(id);
      const t3 = performance.now();
      expect(exitCode).toBe(0);
      const d0 = performance.now();
      await h.runtime.delete(id);
      const d1 = performance.now();
      times.push(t3 - t0);
      console.log(
        `latency true #${i}: create ${(t1 - t0).toFixed(1)} ms, start ${(t2 - t1).toFixed(1)} ms, exit seen ${(t3 - t2).toFixed(1)} ms, total ${(t3 - t0).toFixed(1)} ms; delete ${(d1 - d0).toFixed(1)} ms`,
      );
    }
    times.sort((a, b) => a - b);
    // The same bundle under `runc run` alone (no conmon, no berthd), for comparison.
    const raw: number[] = [];
    const rawId = uniqueId('raw');
    const { bundle, rootfs } = await makeBundle(h.dir, rawId, h.rootfs, { args: ['true'] });
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    await mountAll(rootfs, join(bundle, 'rootfs'));
    try {
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await run('runc', ['--root', join(h.dir, 'raw-runc'), 'run', '--bundle', bundle, rawId], { stdio: 'ignore' });
        raw.push(performance.now() - t0);
        await run('runc', ['--root', join(h.dir, 'raw-runc'), 'delete', '--force', rawId], { stdio: 'ignore' });
      }
    } finally {
      await unmount(join(bundle, 'rootfs'));
    }
    raw.sort((a, b) => a - b);
    // On a shared machine the minimum is the figure closest to an idle one.
    console.log(
      `latency true: create→start→exit median ${times[2]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms; ` +
        `\`runc run\` alone median ${raw[2]?.toFixed(1)} ms, min ${raw[0]?.toFixed(1)} ms`,
    );
  });

  it('kills with SIGTERM (handled) and SIGKILL', async () => {
    const id = uniqueId('term');
    await h.create(id, { args: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.05; done'] });
    await h.runtime.start(id);
    await sleep(200);
    await h.runtime.kill(id, 'SIGTERM');
    expect((await h.runtime.wait(id)).exitCode).toBe(7);

    const id2 = uniqueId('kill');
    await h.create(id2, { args: ['sleep', '100'] });
    await h.runtime.start(id2);
    await h.runtime.kill(id2, 'KILL');
    expect((await h.runtime.wait(id2)).exitCode).toBe(137);
    await expect(h.runtime.kill(id2, 'KILL')).rejects.toSatisfy((e) => isEngineError(e, 'NOT_RUNNING'));
  });

  it('pauses and resumes', async () => {
    const id = uniqueId('pause');
    await h.create(id, { args: ['sleep', '100'] });
    await h.runtime.start(id);
    await h.runtime.pause(id);
    expect((await h.runtime.state(id)).status).toBe('paused');
    await expect(h.runtime.pause(id)).rejects.toSatisfy((e) => isEngineError(e, 'ALREADY_PAUSED'));
    await expect(h.runtime.delete(id)).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    await h.runtime.resume(id);
    expect((await h.runtime.state(id)).status).toBe('running');
    await expect(h.runtime.resume(id)).rejects.toSatisfy((e) => isEngineError(e, 'NOT_PAUSED'));
  });

  it('lists the pids of a task', async () => {
    const id = uniqueId('pids');
    // The trailing `true` keeps sh from exec'ing the last command: sh plus two sleeps.
    const { pid } = await h.create(id, { args: ['sh', '-c', 'sleep 100 & sleep 100; true'] });
    await h.runtime.start(id);
    let pids: number[] = [];
    for (let i = 0; i < 50 && pids.length < 3; i++) {
      pids = await h.runtime.pids(id);
      await sleep(20);
    }
    expect(pids).toContain(pid);
    expect(pids.length).toBe(3);
  });

  it('reports the runtime error when create fails', async () => {
    const id = uniqueId('bad');
    const err = await h.create(id, { args: ['/does/not/exist'] }).catch((e: unknown) => e);
    expect(isEngineError(err, 'RUNTIME')).toBe(true);
    expect((err as Error).message).toMatch(
      /OCI runtime create failed: .*does\/not\/exist.*no such file or directory/is,
    );
    expect((await h.runtime.state(id)).status).toBe('unknown');
  });

  it('delete refuses a running task unless forced, then removes every trace', async () => {
    const id = uniqueId('del');
    const { bundle } = await h.create(id, { args: ['sleep', '100'] });
    await h.runtime.start(id);
    await expect(h.runtime.delete(id)).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    expect(await isMountpoint(join(bundle, 'rootfs'))).toBe(true);
    await h.runtime.delete(id, { force: true });
    expect(await h.runtime.state(id)).toEqual({ status: 'unknown', pid: 0 });
    expect(await isMountpoint(join(bundle, 'rootfs'))).toBe(false);
    await expect(access(join(bundle, 'ctl'))).rejects.toThrow();
    await expect(access(join(h.root, 'tasks', id))).rejects.toThrow();
    await expect(access(join(h.root, 'exits', id))).rejects.toThrow();
    await expect(h.runtime.wait(id)).rejects.toSatisfy((e) => isEngineError(e, 'NO_SUCH_CONTAINER'));
  });

  it('deletes a created task that never started', async () => {
    const id = uniqueId('never');
    await h.create(id, { args: ['true'] });
    await h.runtime.delete(id);
    expect((await h.runtime.state(id)).status).toBe('unknown');
  });
});

describe('live restore (a new ConmonRuntime on the same root)', () => {
  it('finds a running task, kills it and gets its exit code', async () => {
    const id = uniqueId('restore');
    const { pid } = await h.create(id, { args: ['sleep', '100'] });
    await h.runtime.start(id);
    const second = h.restart();
    expect(await second.state(id)).toEqual({ status: 'running', pid });
    expect(await second.exitStatus(id)).toBeUndefined();
    const waiting = second.wait(id);
    await second.kill(id, 'SIGKILL');
    expect((await waiting).exitCode).toBe(137);
  });

  it('picks up the exit code of a task that exited while no berthd was watching', async () => {
    const id = uniqueId('offline');
    await h.create(id, { args: ['sh', '-c', 'sleep 0.2; exit 5'] });
    await h.runtime.start(id);
    // "berthd is down": nobody waits while the task exits.
    const downSince = Date.now();
    await sleep(800);
    const third = new ConmonRuntime({ root: h.root, log: silentLog });
    h.runtime = third;
    const status = await third.exitStatus(id);
    expect(status?.exitCode).toBe(5);
    expect(Date.parse(status?.exitedAt ?? '')).toBeGreaterThanOrEqual(downSince - 1000);
    expect(Date.parse(status?.exitedAt ?? '')).toBeLessThanOrEqual(Date.now());
    expect((await third.wait(id)).exitCode).toBe(5);
    expect((await third.state(id)).status).toBe('stopped');
  });

  it('reports 255 when conmon died without recording an exit', async () => {
    const id = uniqueId('lost');
    await h.create(id, { args: ['sleep', '100'] });
    await h.runtime.start(id);
    const conmonPid = Number(await readFile(join(h.root, 'tasks', id, 'conmon.pid'), 'utf8'));
    // The container goes first, then its monitor, so nobody writes the exit file.
    process.kill(conmonPid, 'SIGSTOP');
    await h.runtime.kill(id, 'KILL');
    process.kill(conmonPid, 'SIGKILL');
    const status = await h.runtime.wait(id);
    expect(status.exitCode).toBe(255);
  });
});
