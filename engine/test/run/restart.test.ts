import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../support/berthd.js';
import { daemonWithBusybox, sleep, until } from './helpers.js';

// Restart policies through the docker CLI: counts, back-off, manual stops, berthd restarts.
let d: TestDaemon;

beforeAll(async () => {
  d = await daemonWithBusybox();
});
afterAll(() => d.cleanup());

const state = (name: string) =>
  d.ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.Restarting}}', name]);
const starts = (name: string) =>
  d
    .ok(['events', '--since', '10m', '--until', '0s', '--filter', `container=${name}`, '--filter', 'event=start'])
    .split('\n')
    .filter(Boolean).length;

describe('restart policies', () => {
  it('on-failure:2 restarts a failing container exactly twice', async () => {
    d.ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'bb', 'sh', '-c', 'exit 3']);
    await until('the policy to give up', () => state('flaky') === 'exited 2 3 false');
    await sleep(1500);
    expect(state('flaky')).toBe('exited 2 3 false');
    expect(starts('flaky')).toBe(3);
  });

  it('on-failure leaves a clean exit alone; no policy never restarts', async () => {
    d.ok(['run', '--name', 'clean', '--restart', 'on-failure', 'bb', 'true']);
    expect(d.docker(['run', '--name', 'plain', 'bb', 'sh', '-c', 'exit 1']).code).toBe(1);
    await sleep(1000);
    expect(state('clean')).toBe('exited 0 0 false');
    expect(state('plain')).toBe('exited 0 1 false');
  });

  it('always backs off (docker ps shows Restarting) until stopped by hand, which cancels it', async () => {
    d.ok(['run', '-d', '--name', 'looper', '--restart', 'always', 'bb', 'sh', '-c', 'exit 4']);
    // The back-off doubles from 100 ms, so a few restarts in it waits long enough to be seen.
    const status = await until('a restarting row in docker ps', () => {
      const s = d.ok(['ps', '--filter', 'name=looper', '--format', '{{.Status}}']);
      return /^Restarting \((\d+)\)/.test(s) && Number(state('looper').split(' ')[1]) >= 3 ? s : undefined;
    });
    expect(status).toMatch(/^Restarting \(4\) .* ago$/);
    expect(d.ok(['ps', '--filter', 'status=restarting', '--format', '{{.Names}}'])).toBe('looper');
    d.ok(['stop', 'looper']);
    const count = state('looper').split(' ')[1];
    expect(state('looper')).toBe(`exited ${count} 4 false`);
    await sleep(2500);
    expect(state('looper')).toBe(`exited ${count} 4 false`);
    // A manual start resets the count.
    d.ok(['start', 'looper']);
    await until('the first restart after a manual start', () => Number(state('looper').split(' ')[1]) >= 1);
    d.ok(['rm', '-f', 'looper']);
  });

  it('a container stopped by hand is not restarted', async () => {
    d.ok(['run', '-d', '--name', 'halted', '--restart', 'always', 'bb', 'sleep', '600']);
    d.ok(['stop', '-t', '1', 'halted']);
    await sleep(1000);
    expect(state('halted')).toBe('exited 0 137 false');
    d.ok(['run', '-d', '--name', 'killed', '--restart', 'unless-stopped', 'bb', 'sleep', '600']);
    d.ok(['kill', 'killed']);
    await sleep(1000);
    expect(state('killed')).toBe('exited 0 137 false');
  });

  it('always and unless-stopped survive a berthd restart, also when their task died while berthd was down', async () => {
    d.ok(['run', '-d', '--name', 'keeper', '--restart', 'always', 'bb', 'sleep', '600']);
    d.ok(['run', '-d', '--name', 'steady', '--restart', 'unless-stopped', 'bb', 'sleep', '600']);
    const keeperPid = Number(d.ok(['inspect', '-f', '{{.State.Pid}}', 'keeper']));
    const steadyPid = d.ok(['inspect', '-f', '{{.State.Pid}}', 'steady']);

    await d.kill('SIGKILL');
    process.kill(keeperPid, 'SIGKILL'); // its task dies while nobody watches
    await sleep(500);
    await d.start();

    await until('keeper to run again', () => state('keeper') === 'running 1 0 false' || undefined);
    expect(Number(d.ok(['inspect', '-f', '{{.State.Pid}}', 'keeper']))).not.toBe(keeperPid);
    expect(d.ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'steady'])).toBe(`running ${steadyPid}`);
    // The ones stopped by hand stay stopped.
    expect(state('halted')).toBe('exited 0 137 false');
    expect(state('killed')).toBe('exited 0 137 false');

    // After a clean shutdown too (the daemon takes its networking down only when nothing runs).
    await d.kill('SIGTERM');
    await d.start();
    expect(state('keeper')).toBe('running 1 0 false');
    expect(d.ok(['exec', 'keeper', 'sh', '-c', 'ip -o -4 addr show eth0 | wc -l'])).toBe('1');
  });
});
