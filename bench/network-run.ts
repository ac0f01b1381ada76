/**
 * Networking cost per container, berthd against dockerd, both driven by the stock docker CLI:
 *   - `docker run --rm -p 127.0.0.1::80 IMG true` × N (namespace, bridge endpoint, published
 *     port, teardown), and
 *   - `docker stats --no-stream` over N running containers.
 * Target: berthd ≤ 0.5 × dockerd.
 *
 *   npm run build -w engine && node_modules/.bin/tsx bench/network-run.ts [--n 20] [--only dockerd|berthd|module]
 *
 * dockerd runs with its own bridge and iptables (it must, to publish ports); the script puts
 * the FORWARD policy back and removes docker0 and the DOCKER chains afterwards.
 * `module` measures the engine's network and stats modules in this process (NetworkManager
 * start/stop with one published port; StatsReader.sampleOnce over N cgroups), without the API
 * and runc: where the time of the network side itself goes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { StatsReader } from '../engine/src/containers/stats.js';
import { deleteBridge } from '../engine/src/network/bridge.js';
import { NetworkManager } from '../engine/src/network/manager.js';
import { type BenchDaemon, docker, startBerthd } from './lib/registry-daemons.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '20' }, only: { type: 'string', multiple: true } },
});
const N = Number(values.n);
const only = new Set(values.only ?? ['dockerd', 'berthd', 'module']);
const IMAGE = 'berth-bench/busybox:net';

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** A busybox-static image tar for `docker import`. */
async function busyboxTar(): Promise<string> {
  const dir = await mkdtemp('/tmp/bnr-img-');
  await mkdir(join(dir, 'rootfs/bin'), { recursive: true });
  execFileSync('cp', ['/bin/busybox', join(dir, 'rootfs/bin/busybox')]);
  for (const app of ['sh', 'true', 'sleep', 'httpd'])
    execFileSync('ln', ['-s', 'busybox', join(dir, 'rootfs/bin', app)]);
  execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'img.tar'), '.']);
  return join(dir, 'img.tar');
}

/** dockerd with networking on (bridge + iptables), restoring the host's iptables state afterwards. */
async function startDockerdWithNetwork(): Promise<BenchDaemon> {
  const forwardPolicy =
    /-P FORWARD (\w+)/.exec(execFileSync('iptables', ['-w', '-S', 'FORWARD']).toString())?.[1] ?? 'ACCEPT';
  const root = await mkdtemp('/tmp/bnd-');
  const socket = join(root, 'd.sock');
  const proc = spawn(
    'dockerd',
    [
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'd.pid'),
      '--host',
      `unix://${socket}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  for (let i = 0; i < 600; i++) {
    try {
      execFileSync('docker', ['-H', `unix://${socket}`, 'version'], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    name: 'dockerd',
    host: `unix://${socket}`,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      await rm(root, { recursive: true, force: true });
      execFileSync('iptables', ['-w', '-P', 'FORWARD', forwardPolicy]);
      for (const [table, chains] of [
        ['filter', ['DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER']],
        ['nat', ['DOCKER']],
      ] as const) {
        const rules = execFileSync('iptables', ['-w', '-t', table, '-S']).toString().split('\n');
        for (const r of rules.filter(
          (l) => l.startsWith('-A') && /DOCKER|docker0/.test(l) && !chains.some((c) => l.startsWith(`-A ${c} `)),
        )) {
          execFileSync('iptables', ['-w', '-t', table, ...r.replace(/^-A/, '-D').split(' ')]);
        }
        for (const c of chains) {
          execFileSync('sh', [
            '-c',
            `iptables -w -t ${table} -F ${c} 2>/dev/null; iptables -w -t ${table} -X ${c} 2>/dev/null; true`,
          ]);
        }
      }
      await deleteBridge('docker0');
    },
  };
}

/**
 * Both engines side by side, one `run` each in turn and the stats rounds alternating, so both
 * see the same machine load (this machine is shared: a dockerd phase then a berthd phase gave
 * ratios from 0.26× to 0.71× for the same build). run: total over N; stats: median of 3.
 */
async function cliBench(daemons: BenchDaemon[], tar: string): Promise<Record<string, { run: number; stats: number }>> {
  for (const d of daemons) await docker(d.host, ['import', tar, IMAGE]);
  const run: Record<string, number> = {};
  for (let i = 0; i < N; i++) {
    for (const d of daemons) {
      const t0 = process.hrtime.bigint();
      await docker(d.host, ['run', '--rm', '-p', '127.0.0.1::80', IMAGE, 'true']);
      run[d.name] = (run[d.name] ?? 0) + seconds(t0);
    }
  }
  const ids: Record<string, string[]> = {};
  for (const d of daemons) {
    ids[d.name] = [];
    for (let i = 0; i < N; i++) ids[d.name]!.push((await docker(d.host, ['run', '-d', IMAGE, 'sleep', '600'])).trim());
  }
  const stats: Record<string, number[]> = Object.fromEntries(daemons.map((d) => [d.name, []]));
  for (let round = 0; round < 3; round++) {
    for (const d of daemons) {
      const t1 = process.hrtime.bigint();
      await docker(d.host, ['stats', '--no-stream', ...ids[d.name]!]);
      stats[d.name]!.push(seconds(t1));
    }
  }
  for (const d of daemons) await docker(d.host, ['rm', '-f', ...ids[d.name]!]);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  return Object.fromEntries(daemons.map((d) => [d.name, { run: run[d.name]!, stats: median(stats[d.name]!) }]));
}

/** The modules alone: network start/stop with a published loopback port; stats over N cgroups. */
async function moduleBench(): Promise<{ run: number; stats: number }> {
  const root = await mkdtemp('/tmp/bnm-');
  const bridge = `bbm${randomBytes(2).toString('hex')}`;
  const mgr = new NetworkManager({ root, defaultBridge: { name: bridge, subnet: '10.214.0.0/24' } });
  await mgr.init();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const id = randomBytes(32).toString('hex');
    await mgr.containers.create(id, {
      name: `b${i}`,
      hostname: id.slice(0, 12),
      hostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1' }] } },
    });
    await mgr.containers.start(id, { filesDir: join(root, id) });
    await mgr.containers.remove(id);
  }
  const run = seconds(t0);
  await mgr.uninstall();
  const cgroups: string[] = [];
  for (let i = 0; i < N; i++) {
    const cg = `/berth-bench/${i}`;
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'])
      await mkdir(join('/sys/fs/cgroup', c, cg), { recursive: true });
    cgroups.push(cg);
  }
  const reader = new StatsReader();
  const t1 = process.hrtime.bigint();
  await Promise.all(
    cgroups.map((cg, i) => reader.sampleOnce({ id: String(i), name: `/b${i}`, pid: 0, cgroupsPath: cg }, 100)),
  );
  const stats = seconds(t1);
  for (const cg of cgroups)
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio']) await rmdir(join('/sys/fs/cgroup', c, cg));
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio']) await rmdir(join('/sys/fs/cgroup', c, '/berth-bench'));
  await rm(root, { recursive: true, force: true });
  return { run, stats };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
const results: Record<string, { run: number; stats: number }> = {};
const tar = only.has('dockerd') || only.has('berthd') ? await busyboxTar() : '';
const daemons: BenchDaemon[] = [];
try {
  if (only.has('dockerd')) daemons.push(await startDockerdWithNetwork());
  if (only.has('berthd')) daemons.push(await startBerthd());
  if (daemons.length > 0) Object.assign(results, await cliBench(daemons, tar));
} catch (err) {
  console.error((err as Error).message);
} finally {
  for (const d of daemons) await d.stop();
}
if (only.has('module')) results['module (no API, no runc)'] = await moduleBench();
if (tar) await rm(join(tar, '..'), { recursive: true, force: true });

// Both engines share the machine with whatever else runs: the ratio means little under heavy load.
console.log(`N=${N}   load average before: ${loadBefore}   after: ${load()}`);
for (const [k, r] of Object.entries(results)) {
  console.log(
    `${k.padEnd(26)} run --rm -p: ${r.run.toFixed(2)} s (${((r.run / N) * 1000).toFixed(0)} ms each)   stats --no-stream: ${r.stats.toFixed(2)} s (median of 3)`,
  );
}
const d = results.dockerd;
for (const [k, r] of Object.entries(results)) {
  if (k === 'dockerd' || !d) continue;
  console.log(
    `${k}: run ratio ${(r.run / d.run).toFixed(2)}×, stats ratio ${(r.stats / d.stats).toFixed(2)}× (target ≤ 0.5×)`,
  );
}
