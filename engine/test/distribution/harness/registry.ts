import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Serve HTTPS; with `clientCa`, a client certificate signed by it is required. */
export interface RegistryTls {
  cert: string;
  key: string;
  clientCa?: string;
}

export type RegistryAuthConfig =
  | { kind: 'none' }
  | { kind: 'htpasswd'; file: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

/**
 * Debian's docker-registry (distribution 2.8) on loopback with filesystem storage in a temp dir.
 * `kill()` and `start()` keep the storage, so a test can crash it mid-transfer and bring it back.
 */
export class TestRegistry {
  private proc: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly configPath: string,
    private readonly tls: boolean,
  ) {}

  /** `127.0.0.1:<port>`: the domain of references into this registry. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  static async create(auth: RegistryAuthConfig = { kind: 'none' }, tls?: RegistryTls): Promise<TestRegistry> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
    ];
    if (tls) {
      lines.push('  tls:', `    certificate: ${tls.cert}`, `    key: ${tls.key}`);
      if (tls.clientCa) lines.push('    clientcas:', `      - ${tls.clientCa}`);
    }
    if (auth.kind === 'htpasswd') {
      lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${auth.file}`);
    } else if (auth.kind === 'token') {
      lines.push(
        'auth:',
        '  token:',
        `    realm: ${auth.realm}`,
        `    service: ${auth.service}`,
        `    issuer: ${auth.issuer}`,
        `    rootcertbundle: ${auth.rootCertBundle}`,
      );
    }
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, `${lines.join('\n')}\n`);
    const registry = new TestRegistry(dir, port, configPath, tls !== undefined);
    await registry.start();
    return registry;
  }

  async start(): Promise<void> {
    const proc = spawn('/usr/bin/docker-registry', ['serve', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8192);
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${this.stderr}`);
      try {
        if (this.tls) {
          // A TLS registry may demand a client certificate: listening is ready enough.
          if (await listening(this.port)) return;
        } else {
          const res = await fetch(`${this.url}/v2/`);
          await res.arrayBuffer();
          if (res.status === 200 || res.status === 401) return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`docker-registry did not start: ${this.stderr}`);
  }

  /** SIGKILL, as a crash mid-transfer. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
