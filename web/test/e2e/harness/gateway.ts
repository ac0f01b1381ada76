// Starts the real gateway CLI serving this console (`serve --web`), registered against one engine.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const REPO_DIR = resolve(WEB_DIR, '..');
const GATEWAY_BIN = join(REPO_DIR, 'gateway/bin/berth-gateway');

export type Gateway = {
  url: string;
  adminUser: string;
  /** The one-time password the gateway prints on first start (must be changed at sign-in). */
  adminPassword: string;
  logFile: string;
  stop: () => Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => res(port));
    });
  });
}

/** Pulls the bootstrap credentials out of the gateway's first-start banner. */
export function parseBootstrap(output: string): { user: string; password: string } | null {
  const m = /user(?:name)?\W+(\w+)\W+password\W+(\S+)/i.exec(output) ?? /password[^\n:=]*[:=]\s*(\S+)/i.exec(output);
  if (!m) return null;
  return m.length === 3
    ? { user: m[1] as string, password: m[2] as string }
    : { user: 'admin', password: m[1] as string };
}

export async function startGateway({
  dataDir,
  hostSocket,
  logFile,
}: {
  dataDir: string;
  hostSocket: string;
  logFile: string;
}): Promise<Gateway> {
  if (!existsSync(GATEWAY_BIN))
    throw new Error(`${GATEWAY_BIN} missing: build the gateway first (npm run build -w gateway)`);
  if (!existsSync(join(WEB_DIR, '.next/BUILD_ID')))
    throw new Error('web/.next missing: run `npm run build -w web` first');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(
    GATEWAY_BIN,
    [
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--web',
      WEB_DIR,
      '--register-local',
      `unix://${hostSocket}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  let output = '';
  let exitInfo: string | null = null;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', (code, signal) => {
    exitInfo = `exited with ${code ?? signal}`;
  });

  const deadline = Date.now() + 60_000;
  while (true) {
    if (exitInfo) throw new Error(`gateway ${exitInfo}:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not answer on ${url} within 60 s:\n${output.slice(-3000)}`);
    }
    if (/listening on/.test(output)) {
      try {
        const res = await fetch(`${url}/login`, { redirect: 'manual' });
        if (res.status < 500) break;
      } catch {
        // not accepting yet
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const creds = parseBootstrap(output);
  if (!creds) throw new Error(`gateway printed no bootstrap credentials:\n${output.slice(-3000)}`);
  return {
    url,
    adminUser: creds.user,
    adminPassword: creds.password,
    logFile,
    stop: async () => {
      if (exitInfo) return;
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
      log.end();
    },
  };
}
