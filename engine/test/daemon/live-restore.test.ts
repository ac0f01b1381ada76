import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

const d = new TestDaemon();

beforeAll(async () => {
  await d.start();
  d.ok(['import', busyboxTar(), 'bb']);
});
afterAll(() => d.cleanup());

describe('live restore', () => {
  it('containers keep running across a berthd kill, exits while down are picked up, logs have no gap', async () => {
    d.ok([
      'run',
      '-d',
      '--name',
      'counter',
      'bb',
      'sh',
      '-c',
      'i=0; while [ $i -lt 40 ]; do echo tick$i; i=$((i+1)); sleep 0.1; done',
    ]);
    d.ok(['run', '-d', '--name', 'forever', 'bb', 'sleep', '1000']);
    d.ok(['run', '-d', '--name', 'quick', 'bb', 'sh', '-c', 'sleep 1; exit 7']);
    const pid = d.ok(['inspect', '-f', '{{.State.Pid}}', 'forever']);

    await d.kill('SIGKILL');
    // While berthd is down: the container process lives on, and `quick` exits.
    expect(() => process.kill(Number(pid), 0)).not.toThrow();
    await new Promise((r) => setTimeout(r, 4500));

    await d.start();
    expect(d.ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'forever'])).toBe(`running ${pid}`);
    expect(d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quick'])).toBe('exited 7');
    expect(d.ok(['wait', 'counter'])).toBe('0');
    const lines = d.ok(['logs', 'counter']).split('\n');
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => `tick${i}`));

    // A restored container can still be stopped, and its exit is seen.
    d.ok(['stop', '-t', '1', 'forever']);
    expect(d.ok(['inspect', '-f', '{{.State.Status}}', 'forever'])).toBe('exited');
  });

  it('a clean SIGTERM shutdown also leaves containers running', async () => {
    d.ok(['run', '-d', '--name', 'survivor', 'bb', 'sleep', '1000']);
    await d.kill('SIGTERM');
    await d.start();
    expect(d.ok(['inspect', '-f', '{{.State.Running}}', 'survivor'])).toBe('true');
    d.ok(['rm', '-f', 'survivor']);
  });

  it('a conmon left stopped by a berthd that died holding a slow reader back runs again', async () => {
    const id = d.ok(['run', '-d', '--name', 'held', 'bb', 'sleep', '1000']);
    const conmon = Number(
      execFileSync('pgrep', ['-f', `conmon .*-c ${id}`], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
    expect(conmon).toBeGreaterThan(0);
    process.kill(conmon, 'SIGSTOP'); // what runtime/throttle.ts does while a reader is behind
    await d.kill('SIGKILL');
    expect(procState(conmon)).toBe('T');
    await d.start();
    expect(procState(conmon)).toBe('S');
    d.ok(['rm', '-f', 'held']);
  });

  it('sweeps the runtime state of a container removed while its delete was cut short', async () => {
    const id = d.ok(['run', '-d', '--name', 'orphan', 'bb', 'sleep', '1000']);
    const pid = Number(d.ok(['inspect', '-f', '{{.State.Pid}}', 'orphan']));
    await d.kill('SIGKILL');
    // As a crash between "removed" and the end of the runtime's delete leaves it: no record.
    rmSync(join(d.root, 'data/containers', id, 'config.json'));
    const taskDir = join(d.root, 'data/runtime/tasks', id);
    expect(existsSync(taskDir)).toBe(true);
    await d.start();
    const deadline = Date.now() + 20_000;
    while ((existsSync(taskDir) || alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(taskDir)).toBe(false);
    expect(existsSync(join(d.root, 'data/runtime/runc', id))).toBe(false);
    expect(alive(pid)).toBe(false);
    // Its half-removed directory went too, the rootfs mounted in it unmounted first (not emptied).
    expect(existsSync(join(d.root, 'data/containers', id))).toBe(false);
    expect(d.ok(['run', '--rm', 'bb', 'cat', '/etc/passwd'])).toContain('root:');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return procState(pid) !== 'Z';
  } catch {
    return false;
  }
}

function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}
