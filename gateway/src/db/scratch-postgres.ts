// A throwaway PostgreSQL cluster on a temp directory and a loopback port, for the test suite and
// for generating PostgreSQL migrations (the schema engine replays migrations into a scratch
// database). PostgreSQL refuses to run as root, so as root it runs as `postgres` when that
// account exists, else as a `berthtest` system account created for the purpose.
import { execFile as execFileCb } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFile = promisify(execFileCb);

export interface ScratchPostgres {
  /** Connection URL of the cluster's `postgres` database. */
  url: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function findBinDir(): string | undefined {
  const candidates = [process.env.BERTH_PG_BIN, '/usr/local/bin'];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse())
      candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return candidates.find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
}

export function postgresAvailable(): boolean {
  return findBinDir() !== undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function runAsAccount(): Promise<{ user: string; uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async (user: string) => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFile('id', ['-u', user]),
      execFile('id', ['-g', user]),
    ]);
    return { user, uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup('postgres');
  } catch {
    try {
      return await lookup('berthtest');
    } catch {
      await execFile('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'berthtest']);
      return lookup('berthtest');
    }
  }
}

export async function startScratchPostgres(): Promise<ScratchPostgres> {
  const bin = findBinDir();
  if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found; set BERTH_PG_BIN');
  const account = await runAsAccount();
  const dir = await mkdtemp(join(tmpdir(), 'berth-pg-'));
  if (account) await chown(dir, account.uid, account.gid);
  const run = (cmd: string, args: string[]) =>
    account
      ? execFile('runuser', ['-u', account.user, '--', join(bin, cmd), ...args], { cwd: dir })
      : execFile(join(bin, cmd), args, { cwd: dir });
  const data = join(dir, 'data');
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const serverOpts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await run('pg_ctl', ['-D', data, '-o', serverOpts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
