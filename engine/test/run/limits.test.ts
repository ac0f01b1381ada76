import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../support/berthd.js';
import { daemonWithBusybox, sleep, until } from './helpers.js';

// Resource limits end to end: the values in the container's cgroup (this machine runs cgroup
// v1), the kernel enforcing them, docker update on a running container, and docker stats.
let d: TestDaemon;

beforeAll(async () => {
  d = await daemonWithBusybox();
});
afterAll(() => d.cleanup());

const MiB = 1024 * 1024;
function cgroup(controller: string, id: string, file: string): string {
  const path = `/sys/fs/cgroup/${controller}/berth/${id}/${file}`;
  if (!existsSync(`/sys/fs/cgroup/${controller}`)) throw new Error(`expected cgroup v1 with ${controller} mounted`);
  return readFileSync(path, 'utf8').trim();
}

describe('limits', () => {
  it('--memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus and --pids-limit reach the cgroup; docker update changes them', () => {
    const id = d.ok([
      'run',
      '-d',
      '--memory',
      '32m',
      '--memory-swap',
      '48m',
      '--cpus',
      '0.5',
      '--cpu-shares',
      '512',
      '--cpuset-cpus',
      '0',
      '--pids-limit',
      '20',
      'bb',
      'sleep',
      '600',
    ]);
    expect(Number(cgroup('memory', id, 'memory.limit_in_bytes'))).toBe(32 * MiB);
    expect(Number(cgroup('memory', id, 'memory.memsw.limit_in_bytes'))).toBe(48 * MiB);
    expect(cgroup('cpu', id, 'cpu.cfs_period_us')).toBe('100000');
    expect(cgroup('cpu', id, 'cpu.cfs_quota_us')).toBe('50000');
    expect(cgroup('cpu', id, 'cpu.shares')).toBe('512');
    expect(cgroup('cpuset', id, 'cpuset.cpus')).toBe('0');
    expect(cgroup('pids', id, 'pids.max')).toBe('20');

    d.ok(['update', '--memory', '64m', '--memory-swap', '128m', '--cpus', '1', '--pids-limit', '30', id]);
    expect(Number(cgroup('memory', id, 'memory.limit_in_bytes'))).toBe(64 * MiB);
    expect(Number(cgroup('memory', id, 'memory.memsw.limit_in_bytes'))).toBe(128 * MiB);
    expect(cgroup('cpu', id, 'cpu.cfs_quota_us')).toBe('100000');
    expect(cgroup('pids', id, 'pids.max')).toBe('30');
    expect(
      d.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', id]),
    ).toBe(`${64 * MiB} 1000000000 30`);
    const tooBig = d.docker(['update', '--memory', '512m', id]);
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stderr).toContain('update the memoryswap at the same time');
    d.ok(['rm', '-f', id]);
  });

  it('a container exceeding --memory 16m is OOM-killed and reported so', async () => {
    const r = d.docker([
      'run',
      '--name',
      'hog',
      '--memory',
      '16m',
      'bb',
      'sh',
      '-c',
      'x=a; while :; do x="$x$x"; done',
    ]);
    expect(r.code).toBe(137);
    expect(d.ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}', 'hog'])).toBe(
      'true 137 exited',
    );
    await sleep(1100); // the events endpoint reads `until` in whole seconds
    const events = d.ok([
      'events',
      '--since',
      '5m',
      '--until',
      '0s',
      '--filter',
      'container=hog',
      '--format',
      '{{.Action}}',
    ]);
    expect(events.split('\n')).toEqual(expect.arrayContaining(['oom', 'die']));
    d.ok(['rm', 'hog']);
  });

  it('--pids-limit 10 stops a fork loop', () => {
    const r = d.docker([
      'run',
      '--rm',
      '--pids-limit',
      '10',
      'bb',
      'sh',
      '-c',
      'i=0; while [ $i -lt 50 ]; do sleep 60 & i=$((i+1)); done; echo all forked',
    ]);
    expect(r.stdout).not.toContain('all forked');
    expect(r.stderr).toContain("can't fork");
    expect(r.code).not.toBe(0);
  });

  it('docker stats --no-stream shows CPU use of a busy container and the memory limit', async () => {
    d.ok(['run', '-d', '--name', 'busy', '--memory', '64m', 'bb', 'sh', '-c', 'while :; do :; done']);
    d.ok(['run', '-d', '--name', 'idle', 'bb', 'sleep', '600']);
    const row = await until('a busy sample', () => {
      const out = d.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'busy']);
      return Number.parseFloat(out.split(' ')[1] ?? '0') > 5 ? out : undefined;
    });
    expect(row).toMatch(/^busy [\d.]+% [\d.]+[KM]iB \/ 64MiB 1$/);
    const all = d.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.NetIO}}']).split('\n').sort();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatch(/^idle \d/);
    // A stopped container has empty stats rather than an error.
    d.ok(['stop', '-t', '0', 'idle']);
    expect(d.ok(['stats', '--no-stream', '--format', '{{.CPUPerc}} {{.PIDs}}', 'idle'])).toBe('0.00% 0');
    d.ok(['rm', '-f', 'busy', 'idle']);
  });
});
