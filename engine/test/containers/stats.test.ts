import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StatsReader } from '../../src/containers/stats.js';
import { resourcesFromHostConfig, updateResources } from '../../src/containers/stats-limits.js';

// This machine is cgroup v1 (hybrid): the v1 controllers are what runc uses here.
const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];
const cgroupsPath = `/berth-statstest/${randomBytes(6).toString('hex')}`;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** CPU % exactly as the docker CLI computes it from one stats object. */
function cpuPercent(s: Awaited<ReturnType<StatsReader['sample']>>): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  return sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
}

describe('StatsReader (cgroup v1)', () => {
  it('shows a busy process in its cgroup with CPU, memory, pids and Docker field names', async () => {
    for (const c of CONTROLLERS) await mkdir(join('/sys/fs/cgroup', c, cgroupsPath), { recursive: true });
    cleanups.push(async () => {
      for (const c of CONTROLLERS) {
        await rmdir(join('/sys/fs/cgroup', c, cgroupsPath)).catch(() => undefined);
        await rmdir(join('/sys/fs/cgroup', c, '/berth-statstest')).catch(() => undefined);
      }
    });
    await writeFile(join('/sys/fs/cgroup/pids', cgroupsPath, 'pids.max'), '50');
    // It allocates after joining the cgroup (v1 does not move earlier charges), then spins.
    const busy: ChildProcess = spawn('/bin/sh', ['-c', 'read x; y=$(/bin/busybox seq 1 50000); while :; do :; done'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    cleanups.push(async () => {
      const exited = new Promise((r) => busy.once('exit', r));
      busy.kill('SIGKILL');
      await exited;
    });
    for (const c of CONTROLLERS)
      await writeFile(join('/sys/fs/cgroup', c, cgroupsPath, 'cgroup.procs'), String(busy.pid));
    busy.stdin?.write('go\n');

    const reader = new StatsReader();
    const target = { id: 'abc', name: '/busy', pid: busy.pid!, cgroupsPath };
    const s = await reader.sampleOnce(target, 400);
    expect(Object.keys(s).sort()).toEqual(
      [
        'blkio_stats',
        'cpu_stats',
        'id',
        'memory_stats',
        'name',
        'networks',
        'num_procs',
        'pids_stats',
        'precpu_stats',
        'preread',
        'read',
        'storage_stats',
      ].sort(),
    );
    expect(Date.parse(s.read) - Date.parse(s.preread)).toBeGreaterThanOrEqual(350);
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(s.precpu_stats.cpu_usage.total_usage);
    expect(s.cpu_stats.cpu_usage.percpu_usage?.length).toBeGreaterThan(0);
    expect(s.cpu_stats.cpu_usage.usage_in_usermode).toBeGreaterThan(0);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    // The CLI's CPU % (cpu delta over host delta, times CPUs): the single-threaded loop gets a
    // share of one core, never more (the host delta is the window on every CPU).
    const pct = (x: typeof s) =>
      ((x.cpu_stats.cpu_usage.total_usage - x.precpu_stats.cpu_usage.total_usage) /
        ((x.cpu_stats.system_cpu_usage ?? 0) - (x.precpu_stats.system_cpu_usage ?? 0))) *
      (x.cpu_stats.online_cpus ?? 1) *
      100;
    for (const x of [s, await reader.sampleOnce(target)]) {
      expect(pct(x)).toBeGreaterThan(1);
      expect(pct(x)).toBeLessThanOrEqual(101);
    }
    expect(s.cpu_stats.throttling_data).toEqual({
      periods: expect.any(Number),
      throttled_periods: 0,
      throttled_time: 0,
    });
    expect(cpuPercent(s)).toBeGreaterThan(5);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.memory_stats.stats).toHaveProperty('cache');
    expect(s.memory_stats.stats).toHaveProperty('total_inactive_file');
    // No memory limit set: Docker reports the host's memory.
    const memTotal = Number(/MemTotal:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;
    expect(s.memory_stats.limit).toBe(memTotal);
    expect(s.pids_stats).toEqual({ current: 1, limit: 50 });
    expect(s.networks?.eth0 ?? Object.values(s.networks ?? {})[0]).toMatchObject({
      rx_bytes: expect.any(Number),
      tx_packets: expect.any(Number),
    });
    expect(s.networks).not.toHaveProperty('lo');
    expect(await reader.oomKilled(cgroupsPath)).toBe(false);
  });
});

describe('runc containers: docker update limits and OOM detection', () => {
  const runcRoot = join(tmpdir(), `berth-runc-${randomBytes(4).toString('hex')}`);
  afterAll(() => rm(runcRoot, { recursive: true, force: true }));

  async function runcContainer(args: string[], memoryLimit?: number): Promise<{ id: string; cgroupsPath: string }> {
    const id = `berth-stats-${randomBytes(4).toString('hex')}`;
    const bundle = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
    await mkdir(join(bundle, 'rootfs/bin'), { recursive: true });
    await copyFile('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
    await symlink('busybox', join(bundle, 'rootfs/bin/sh'));
    execFileSync('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    spec.process.args = args;
    spec.process.terminal = false;
    spec.linux.cgroupsPath = `/berth-statstest/${id}`;
    if (memoryLimit) spec.linux.resources.memory = { limit: memoryLimit, swap: memoryLimit };
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    execFileSync('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
    cleanups.push(async () => {
      execFileSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
      await rm(bundle, { recursive: true, force: true });
      for (const c of CONTROLLERS) await rmdir(join('/sys/fs/cgroup', c, '/berth-statstest')).catch(() => undefined);
    });
    return { id, cgroupsPath: spec.linux.cgroupsPath };
  }

  it("maps docker update fields to OCI resources with Docker's checks", () => {
    expect(resourcesFromHostConfig({ Memory: 64 << 20, NanoCpus: 1.5e9, PidsLimit: 0, CpuShares: 512 })).toEqual({
      memory: { limit: 64 << 20 },
      cpu: { shares: 512, period: 100000, quota: 150000 },
      pids: { limit: -1 },
    });
    expect(() => resourcesFromHostConfig({ NanoCpus: 1e9, CpuQuota: 5000 })).toThrow(
      'Nano CPUs and CPU Period cannot both be set',
    );
    expect(() => resourcesFromHostConfig({ Memory: 1024 })).toThrow('Minimum memory limit allowed is 6MB');
  });

  it('applies limits to a running container through runc update and stats report them', async () => {
    const { id, cgroupsPath: cg } = await runcContainer(['/bin/busybox', 'sleep', '30']);
    await updateResources(
      id,
      { Memory: 48 << 20, MemorySwap: 96 << 20, CpuQuota: 50000, CpuPeriod: 100000, PidsLimit: 7 },
      { root: runcRoot },
    );
    expect((await readFile(join('/sys/fs/cgroup/memory', cg, 'memory.limit_in_bytes'), 'utf8')).trim()).toBe(
      String(48 << 20),
    );
    expect((await readFile(join('/sys/fs/cgroup/cpu', cg, 'cpu.cfs_quota_us'), 'utf8')).trim()).toBe('50000');
    const pid = JSON.parse(execFileSync('runc', ['--root', runcRoot, 'state', id]).toString()).pid as number;
    const s = await new StatsReader().sample({ id, name: '/x', pid, cgroupsPath: cg });
    expect(s.memory_stats.limit).toBe(48 << 20);
    expect(s.pids_stats).toEqual({ current: 1, limit: 7 });
    // runc's default spec gives the task its own network namespace with only loopback.
    expect(s.networks).toEqual({});
    await expect(updateResources('no-such-container', { PidsLimit: 5 }, { root: runcRoot })).rejects.toThrow(
      'Cannot update container no-such-container',
    );
  });

  it('detects an OOM kill from memory.oom_control', async () => {
    const { id, cgroupsPath: cg } = await runcContainer(
      [
        '/bin/busybox',
        'sh',
        '-c',
        'x=$(/bin/busybox head -c 64000000 /dev/zero | /bin/busybox tr "\\0" a); /bin/busybox sleep 30',
      ],
      16 << 20,
    );
    const reader = new StatsReader();
    let oom = false;
    for (let i = 0; i < 50 && !oom; i++) {
      oom = await reader.oomKilled(cg);
      if (!oom) await new Promise((r) => setTimeout(r, 100));
    }
    expect(oom).toBe(true);
    expect(id).toBeTruthy();
  });
});
