// Docker-API engines for the host tests: a private stock dockerd (always), and berthd from
// engine/bin/berthd when it is built and answers (skipped with a message otherwise). Every
// engine gets the busybox test image. Each engine lives in its own temp dir and is stopped —
// with every process it started — when the test is done.
import { type ChildProcess, execFile as execFileCb, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { BUSYBOX_IMAGE, busyboxRootfs } from './busybox.js';

export type EngineKind = 'dockerd' | 'berthd';

export interface EngineProcess {
  kind: EngineKind;
  /** unix:///… as the gateway registers it. */
  hostUrl: string;
  socketPath: string;
  docker: Dockerode;
  /** Graceful stop; also reaps anything the engine left running. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashed host (stop() still cleans up afterwards). */
  kill(): void;
}

const execFile = promisify(execFileCb);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BERTHD = join(REPO_ROOT, 'engine/bin/berthd');

async function waitFor(
  fn: () => Promise<unknown>,
  timeoutMs: number,
  what: string,
  proc?: ChildProcess,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: process exited with ${proc.exitCode}`);
    try {
      await fn();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms: ${(last as Error)?.message}`);
}

/** Our own processes only: those whose command line names this engine's unique temp directory,
 * or that run inside one of its containers (found by container id in their cgroup). */
function ownedPids(dir: string): number[] {
  let containerIds: string[] = [];
  try {
    containerIds = readdirSync(join(dir, 'root', 'containers')).filter((d) => /^[0-9a-f]{64}$/.test(d));
  } catch {
    // no containers directory (berthd keeps its own layout; its runtime cleans up on stop)
  }
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const cgroup = containerIds.length ? readFileSync(`/proc/${entry}/cgroup`, 'utf8') : '';
      if (cmdline.includes(dir) || containerIds.some((id) => cgroup.includes(id))) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Kills what a (possibly crashed) engine left behind and unmounts its mounts. */
async function reap(dir: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = ownedPids(dir);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, signal === 'SIGTERM' ? 1500 : 300));
  }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execFile('umount', ['-l', m]).catch(() => {});
}

async function loadBusybox(docker: Dockerode): Promise<void> {
  const rootfs = await busyboxRootfs();
  try {
    const [repo, tag] = BUSYBOX_IMAGE.split(':') as [string, string];
    const progress = (await docker.importImage(
      rootfs.tar() as never,
      { repo, tag } as never,
    )) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((ok, fail) => {
      let failure = '';
      progress.on('data', (d: Buffer) => {
        if (d.toString().includes('"error"')) failure += d.toString();
      });
      progress.on('end', () => (failure ? fail(new Error(failure)) : ok()));
      progress.on('error', fail);
    });
  } finally {
    await rootfs.cleanup();
  }
}

function launch(
  kind: EngineKind,
  cmd: string,
  args: string[],
  dir: string,
  socketPath: string,
): EngineProcess & { proc: ChildProcess } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  proc.on('exit', (code) => {
    if (code && code !== 0 && process.env.BERTH_TEST_DEBUG) process.stderr.write(`${kind} exited ${code}: ${stderr}\n`);
  });
  const docker = new Dockerode({ socketPath });
  let stopped: Promise<void> | undefined;
  return {
    kind,
    proc,
    hostUrl: `unix://${socketPath}`,
    socketPath,
    docker,
    kill() {
      proc.kill('SIGKILL');
    },
    stop() {
      stopped ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        }
        await reap(dir);
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      })();
      return stopped;
    },
  };
}

/** A private dockerd (with its own containerd) on a temp dir; no bridge, no iptables. */
export async function startDockerd(extraArgs: string[] = []): Promise<EngineProcess> {
  const dir = await mkdtemp('/tmp/bgw-dockerd-');
  const socketPath = join(dir, 'docker.sock');
  const engine = launch(
    'dockerd',
    'dockerd',
    [
      '--data-root',
      join(dir, 'root'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--host',
      `unix://${socketPath}`,
      '--bridge',
      'none',
      '--iptables=false',
      '--ip-masq=false',
      ...extraArgs,
    ],
    dir,
    socketPath,
  );
  try {
    await waitFor(() => engine.docker.ping(), 60_000, 'dockerd', engine.proc);
    await loadBusybox(engine.docker);
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

/** Why berthd cannot be used here, or null if it can. */
export function berthdUnavailable(): string | null {
  if (!existsSync(BERTHD)) return `engine/bin/berthd not found`;
  if (!existsSync(join(REPO_ROOT, 'engine/dist/cli/berthd.js'))) return 'berthd is not built (npm run build -w engine)';
  return null;
}

export async function startBerthd(extraArgs: string[] = []): Promise<EngineProcess> {
  const why = berthdUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp('/tmp/bgw-berthd-');
  const socketPath = join(dir, 'berthd.sock');
  const engine = launch(
    'berthd',
    process.execPath,
    [BERTHD, '--data-root', join(dir, 'root'), '--host', `unix://${socketPath}`, ...extraArgs],
    dir,
    socketPath,
  );
  try {
    await waitFor(() => engine.docker.ping(), 30_000, 'berthd', engine.proc);
    await loadBusybox(engine.docker);
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

export function startEngine(kind: EngineKind, extraArgs: string[] = []): Promise<EngineProcess> {
  return kind === 'dockerd' ? startDockerd(extraArgs) : startBerthd(extraArgs);
}

/**
 * The engines the host tests run against: dockerd always; berthd when built (a berthd that is
 * built but does not start is reported by the suite as skipped, with the reason).
 * BERTH_TEST_ENGINES=dockerd (or berthd) narrows the list.
 */
export function engineKinds(): { kind: EngineKind; unavailable: string | null }[] {
  const wanted = (process.env.BERTH_TEST_ENGINES ?? 'dockerd,berthd').split(',');
  const kinds: { kind: EngineKind; unavailable: string | null }[] = [];
  if (wanted.includes('dockerd')) kinds.push({ kind: 'dockerd', unavailable: null });
  if (wanted.includes('berthd')) kinds.push({ kind: 'berthd', unavailable: berthdUnavailable() });
  return kinds;
}

/**
 * Starts the engine for a describe block; berthd failing to come up skips the block's tests
 * with the reason instead of failing them (berthd is built by another team, concurrently).
 */
export function engineFixture(kind: EngineKind, extraArgs: () => string[] = () => []) {
  const state: { engine: EngineProcess | null; skipReason: string | null } = { engine: null, skipReason: null };
  return {
    state,
    async start(): Promise<EngineProcess | null> {
      try {
        state.engine = await startEngine(kind, extraArgs());
      } catch (err) {
        if (kind === 'dockerd') throw err;
        state.skipReason = `berthd did not start or could not load the test image: ${(err as Error).message}`;
      }
      return state.engine;
    },
    stop: () => state.engine?.stop(),
  };
}
