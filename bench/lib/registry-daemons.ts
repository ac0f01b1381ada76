import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';

/** Daemons the pull/push benchmark drives through the stock docker CLI. */
export interface BenchDaemon {
  name: 'dockerd' | 'berthd';
  /** DOCKER_HOST value. */
  host: string;
  stop(): Promise<void>;
}

const ENGINE = resolve(import.meta.dirname, '../../engine');

function ping(socket: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.end();
  });
}

async function waitFor(proc: ChildProcess, socket: string, what: string, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited ${proc.exitCode}: ${logs().slice(-2000)}`);
    if (await ping(socket)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up: ${logs().slice(-2000)}`);
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** A throwaway dockerd: own data root, exec root, socket and pidfile; no bridge, no iptables. */
export async function startDockerd(): Promise<BenchDaemon> {
  // Short paths: unix sockets are limited to 108 bytes, containerd's even shorter.
  const root = await mkdtemp('/tmp/bd-');
  const socket = join(root, 'd.sock');
  const args = [
    '--data-root',
    join(root, 'data'),
    '--exec-root',
    join(root, 'exec'),
    '--pidfile',
    join(root, 'd.pid'),
    '--host',
    `unix://${socket}`,
    '--bridge',
    'none',
    '--iptables=false',
    '--ip6tables=false',
    '--storage-driver',
    'overlay2',
  ];
  let logs = '';
  const proc = spawn('dockerd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d: Buffer) => {
    logs = (logs + d.toString()).slice(-20_000);
  });
  await waitFor(proc, socket, 'dockerd', () => logs);
  return {
    name: 'dockerd',
    host: `unix://${socket}`,
    async stop() {
      await stopProc(proc);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** berthd from engine/bin/berthd (needs `npm run build -w engine`). */
export async function startBerthd(): Promise<BenchDaemon> {
  if (!existsSync(join(ENGINE, 'dist/cli/berthd.js')))
    throw new Error('engine/dist is missing: run `npm run build -w engine` first');
  const root = await mkdtemp('/tmp/bb-');
  const socket = join(root, 'b.sock');
  let logs = '';
  const proc = spawn(
    process.execPath,
    [
      join(ENGINE, 'bin/berthd'),
      '--data-root',
      join(root, 'data'),
      '--host',
      `unix://${socket}`,
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  proc.stderr?.on('data', (d: Buffer) => {
    logs = (logs + d.toString()).slice(-20_000);
  });
  await waitFor(proc, socket, 'berthd', () => logs);
  return {
    name: 'berthd',
    host: `unix://${socket}`,
    async stop() {
      await stopProc(proc);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Run the docker CLI against a daemon; rejects with its stderr on failure. */
export function docker(host: string, args: string[], stdinFile?: string): Promise<string> {
  return new Promise((done, fail) => {
    const proc = spawn('docker', args, {
      env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: '/tmp/berth-bench-docker-config' },
      stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    if (stdinFile && proc.stdin) {
      import('node:fs').then(({ createReadStream }) =>
        createReadStream(stdinFile).pipe(proc.stdin as NodeJS.WritableStream),
      );
    }
    proc.on('error', fail);
    proc.on('close', (code) =>
      code === 0 ? done(out) : fail(new Error(`docker ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}
