// The container host the e2e suite drives. By default a throwaway dockerd (Debian docker.io) in a
// temp dir with no bridge and no iptables, so it touches nothing on the machine; set
// BERTH_E2E_HOST_SOCKET to point the suite at an already-running engine (berthd) instead.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export async function waitForEngine(socket: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const r = await engineRequest(socket, 'GET', '/_ping');
      if (r.status === 200) return;
      last = new Error(`/_ping answered ${r.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`engine at ${socket} not ready: ${String(last)}`);
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

export async function startEngine(workDir: string): Promise<Engine> {
  const external = process.env.BERTH_E2E_HOST_SOCKET;
  const tar = buildBusyboxTar(workDir);
  if (external) {
    await waitForEngine(external);
    await importBusybox(external, tar);
    return { socket: external, stop: async () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const logFile = join(workDir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root',
      join(dir, 'data'),
      '--host',
      `unix://${socket}`,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--exec-root',
      join(dir, 'exec'),
      '--bridge',
      'none',
      '--iptables=false',
      '--ip-masq=false',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitForEngine(socket);
    await importBusybox(socket, tar);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}\n--- dockerd.log ---\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  return {
    socket,
    logFile,
    stop: async () => {
      // Remove the test's containers first so dockerd exits without waiting on them.
      try {
        const list = await engineRequest(socket, 'GET', '/containers/json?all=1');
        for (const c of JSON.parse(list.body) as Array<{ Id: string }>)
          await engineRequest(socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
      } catch {
        // dockerd already gone
      }
      if (!exited) {
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
