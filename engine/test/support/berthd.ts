import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';

const ENGINE = resolve(import.meta.dirname, '../..');

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A real berthd on a temporary data root and socket, driven by the stock docker CLI. */
export class TestDaemon {
  readonly root: string;
  readonly socket: string;
  private proc?: ChildProcess;
  private logs: Buffer[] = [];

  constructor() {
    // Short paths: unix socket paths are limited to 108 bytes.
    this.root = mkdtempSync('/tmp/bt-');
    this.socket = join(this.root, 'b.sock');
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.proc = spawn(
      process.execPath,
      [
        join(ENGINE, 'bin/berthd'),
        '--data-root',
        join(this.root, 'data'),
        '--host',
        this.host,
        '--log-level',
        process.env.BERTH_TEST_LOG ?? 'warn',
        ...extraArgs,
      ],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.logs.push(d);
      if (process.env.BERTH_TEST_LOG) process.stderr.write(d);
    });
    const deadline = Date.now() + 60_000; // generous: a loaded CI machine starts slowly
    while (Date.now() < deadline) {
      if (!running(this.proc))
        throw new Error(`berthd exited with ${this.proc.exitCode ?? this.proc.signalCode}: ${this.stderr()}`);
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up: ${this.stderr()}`);
  }

  stderr(): string {
    return Buffer.concat(this.logs).toString();
  }

  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: '/_ping' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Raw HTTP against the API socket, for edge cases the CLI does not produce. */
  api(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socket, path, method, headers: { 'Content-Type': 'application/json', ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }),
          );
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Run the docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): DockerResult {
    const r = spawnSync('docker', args, {
      env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.root, 'docker-config') },
      input: opts.input,
      timeout: opts.timeout ?? 300_000, // a 10,000-file build takes minutes on a loaded 2-core machine
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  }

  /** docker that must succeed; returns trimmed stdout. */
  ok(args: string[], opts: { input?: string | Buffer; timeout?: number } = {}): string {
    const r = this.docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  }

  /** Kill berthd hard (no cleanup): for live-restore tests. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc || !running(proc)) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  /** Remove every container, stop berthd, unmount and delete the data root. */
  async cleanup(): Promise<void> {
    if (this.proc && running(this.proc)) {
      const ids = this.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) this.docker(['rm', '-f', ...ids]);
      await this.kill('SIGTERM');
    }
    // Anything still mounted under the root (a crashed test) is unmounted before removal.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.root))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    // conmon processes of containers that were left behind.
    spawnSync('pkill', ['-f', `conmon.*${this.root}`]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A process that died of a signal has exitCode null but signalCode set. */
function running(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}
