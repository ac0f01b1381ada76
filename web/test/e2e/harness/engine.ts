// The container host the e2e suite drives: a throwaway berthd (engine/bin/berthd, built by
// `npm run build`) on its own data root and socket under /tmp, so it touches nothing else on the
// machine; the busybox image is imported from /bin/busybox, nothing is pulled. Set
// BERTH_E2E_HOST_SOCKET to point the suite at an already-running engine instead.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BERTHD = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../engine/bin/berthd');

export type Engine = { socket: string; stop: () => Promise<void>; logFile?: string };

/** One HTTP request to the engine API over its unix socket. */
export function engineRequest(
  socket: string,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { Host: 'engine', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body: raw.toString(), raw });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls /_ping until the engine answers; `gone` stops early when the process has died. */
export async function waitForEngine(socket: string, timeoutMs = 60_000, gone?: () => string | null) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    const died = gone?.();
    if (died) throw new Error(`engine ${died} before answering`);
    try {
      const r = await engineRequest(socket, 'GET', '/_ping');
      if (r.status === 200) return;
      last = new Error(`/_ping answered ${r.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine at ${socket} not ready within ${timeoutMs / 1000} s: ${String(last)}`);
}

/** A busybox-static rootfs as an uncompressed tar: /bin/busybox plus the applets the tests use. */
export function buildBusyboxTar(dir: string): string {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'tmp', 'etc', 'root']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of ['sh', 'echo', 'cat', 'sleep', 'ls', 'env', 'id', 'head', 'yes', 'seq'])
    symlinkSync('busybox', join(root, 'bin', applet));
  const tar = join(dir, 'busybox-rootfs.tar');
  execFileSync('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.']);
  return tar;
}

/** Imports the rootfs as `busybox:latest` (POST /images/create?fromSrc=-), CMD sh. */
export async function importBusybox(socket: string, tarPath: string) {
  const q = new URLSearchParams({ fromSrc: '-', repo: 'busybox', tag: 'latest', changes: 'CMD ["sh"]' });
  const r = await engineRequest(socket, 'POST', `/images/create?${q}`, readFileSync(tarPath), {
    'Content-Type': 'application/x-tar',
  });
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`image import failed (${r.status}): ${r.body}`);
}

/** Processes whose command line mentions `needle` (conmon of this engine's containers). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Unmounts whatever is still mounted under `dir` (deepest first), then removes it. */
function removeRoot(dir: string) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
}

export async function startEngine(workDir: string): Promise<Engine> {
  const external = process.env.BERTH_E2E_HOST_SOCKET;
  const tar = buildBusyboxTar(workDir);
  if (external) {
    await waitForEngine(external);
    await importBusybox(external, tar);
    return { socket: external, stop: async () => {} };
  }
  if (!existsSync(join(dirname(BERTHD), '../dist/cli/berthd.js')))
    throw new Error('engine/dist missing: build the engine first (npm run build)');
  // Short path under /tmp whatever TMPDIR says: unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync('/tmp/berth-e2e-engine-');
  const socket = join(dir, 'b.sock');
  const logFile = join(workDir, 'berthd.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [BERTHD, '--data-root', join(dir, 'data'), '--host', `unix://${socket}`, '--log-level', 'info'],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exitInfo: string | null = null;
  child.once('exit', (code, signal) => {
    exitInfo = `exited with ${code ?? signal}`;
  });
  // If the test process dies without running its hooks, the daemon goes with it.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    if (!exitInfo) {
      // Remove the test's containers first, so no conmon outlives the daemon.
      try {
        const list = await engineRequest(socket, 'GET', '/containers/json?all=1');
        for (const c of JSON.parse(list.body) as Array<{ Id: string }>)
          await engineRequest(socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
      } catch {
        // the daemon is not answering; the kills below still clean up
      }
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Containers left behind by a crash: runc deletes them (processes included), then their
    // conmon goes.
    const runcRoot = join(dir, 'data/runtime/runc');
    if (existsSync(runcRoot)) {
      const ids = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' }).stdout ?? '';
      for (const id of ids.split('\n').filter(Boolean))
        spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { timeout: 30_000 });
    }
    for (const pid of pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeRoot(dir);
  };

  try {
    await waitForEngine(socket, 60_000, () => exitInfo);
    await importBusybox(socket, tar);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- berthd.log ---\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  return { socket, logFile, stop };
}
