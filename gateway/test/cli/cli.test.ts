// The berth-gateway command as an operator runs it (compiled: `npm run build -w gateway`).
import { type ChildProcess, execFile as execFileCb, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { provider } from '../support/gateway.js';

const execFile = promisify(execFileCb);
const gatewayDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(gatewayDir, 'bin/berth-gateway');

let dataDir: string;
let databaseUrl: string | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(join(gatewayDir, 'dist/cli/main.js')))
    throw new Error('build the gateway first: npm run build -w gateway');
  dataDir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  if (provider === 'postgresql') {
    const base = inject('postgresUrl')!;
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`CREATE DATABASE "cli_${process.pid}"`);
    await client.end();
    databaseUrl = base.replace(/\/[^/]*$/, `/cli_${process.pid}`);
  }
  env = {
    ...process.env,
    BERTH_LOG_LEVEL: 'debug',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '' }),
  };
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return execFile(process.execPath, [BIN, ...args, '--data-dir', dataDir], { env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

async function serve(): Promise<{
  proc: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<number | null>;
}> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { env });
  let output = '';
  proc.stdout!.on('data', (d) => {
    output += d.toString();
  });
  proc.stderr!.on('data', (d) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 60_000);
    const check = () => {
      const m = /berth-gateway listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${output}`)));
  });
  return {
    proc,
    url,
    output: () => output,
    stop: () =>
      new Promise((r) => {
        proc.once('exit', (code) => r(code));
        proc.kill('SIGTERM');
      }),
  };
}

async function signIn(url: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return res.status;
}

describe(`berth-gateway CLI (${provider})`, () => {
  let adminPassword = '';

  it('serve: creates the bootstrap admin on first start and prints its password once, never to the log', async () => {
    const gw = await serve();
    const out = gw.output();
    const lines = out.split('\n').filter((l) => l.startsWith('admin password: '));
    expect(lines).toHaveLength(1);
    adminPassword = lines[0]!.slice('admin password: '.length);
    expect(adminPassword.length).toBeGreaterThanOrEqual(24);
    // Exactly one occurrence in all output: the printed line, not a log record.
    expect(out.split(adminPassword).length - 1).toBe(1);
    expect(await signIn(gw.url, 'admin', adminPassword)).toBe(200);
    expect(await gw.stop()).toBe(0);

    const again = await serve();
    expect(again.output()).not.toContain('admin password');
    expect(await again.stop()).toBe(0);
  }, 240_000);

  it('users create / reset-password print one-time passwords that work', async () => {
    const created = await cli('users', 'create', 'bob');
    expect(created.code).toBe(0);
    const first = /one-time password: (\S+)/.exec(created.stdout)![1]!;
    const reset = await cli('users', 'reset-password', 'bob');
    const second = /one-time password for bob: (\S+)/.exec(reset.stdout)![1]!;
    expect(second).not.toBe(first);
    const gw = await serve();
    try {
      expect(await signIn(gw.url, 'bob', first)).toBe(401);
      expect(await signIn(gw.url, 'bob', second)).toBe(200);
    } finally {
      await gw.stop();
    }
    expect((await cli('users', 'create', 'bob')).code).toBe(1);
  }, 240_000);

  it('audit verify: exits 0 on an intact chain and 1 naming the first broken event', async () => {
    const ok = await cli('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit chain ok: \d+ events/);

    const database = await openDatabase({ dataDir, url: databaseUrl });
    const second = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 2 } });
    await database.db.auditEvent.update({ where: { id: second.id }, data: { target: 'someone-else' } });
    await database.close();

    const broken = await cli('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at event id ${second.id} (seq 2)`);
  }, 240_000);
});
