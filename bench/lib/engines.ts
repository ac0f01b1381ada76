import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A Docker-API engine under test: berthd, or Debian's dockerd for comparison (never a dependency). */
export interface Engine {
  name: 'berthd' | 'dockerd';
  host: string;
  pid(): number;
  docker(args: string[], input?: string): string;
  stop(): Promise<void>;
}

const REPO = resolve(import.meta.dirname, '../..');

async function waitForSocket(host: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`engine exited with ${proc.exitCode}`);
    if (spawnSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: host } }).status === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`engine at ${host} did not come up`);
}

async function start(name: Engine['name']): Promise<Engine> {
  const root = mkdtempSync(`/tmp/bench-${name}-`);
  const sock = join(root, 's.sock');
  const host = `unix://${sock}`;
  const proc =
    name === 'berthd'
      ? spawn(
          process.execPath,
          [join(REPO, 'engine/bin/berthd'), '--data-root', join(root, 'data'), '--host', host, '--log-level', 'warn'],
          { stdio: 'ignore' },
        )
      : spawn(
          'dockerd',
          [
            '--data-root',
            join(root, 'data'),
            '--exec-root',
            join(root, 'exec'),
            '--pidfile',
            join(root, 'pid'),
            '--host',
            host,
            '--bridge',
            'none',
            '--iptables=false',
            '--ip-masq=false',
          ],
          { stdio: ['ignore', 'ignore', openSync(join(root, 'dockerd.log'), 'a')] },
        );
  await waitForSocket(host, proc).catch((err: Error) => {
    throw new Error(`${err.message}; see ${root}`);
  });
  const docker = (args: string[], input?: string) =>
    execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, input, maxBuffer: 1 << 30 })
      .toString()
      .trim();
  return {
    name,
    host,
    pid: () => proc.pid ?? 0,
    docker,
    stop: async () => {
      const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
      if (ids.length > 0) docker(['rm', '-f', ...ids]);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      for (const m of readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .filter((m) => m.startsWith(root))
        .reverse()) {
        spawnSync('umount', ['-l', m]);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function startBoth(): Promise<[Engine, Engine]> {
  return [await start('berthd'), await start('dockerd')];
}

/** Load the same busybox image into an engine (no Docker Hub here). */
export function loadBusybox(engine: Engine, tag = 'benchbox:latest'): void {
  const tar = '/tmp/bench-busybox.tar';
  execFileSync(join(REPO, 'scripts/busybox-rootfs.sh'), [tar]);
  engine.docker(['import', '-c', 'CMD ["/bin/sh"]', tar, tag]);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export function timeMs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Resident set size in MB of a process and, optionally, of its whole process tree. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

export function pidsOf(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern]);
  return r.stdout.toString().split('\n').filter(Boolean).map(Number);
}
