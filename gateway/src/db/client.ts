// Opens the gateway's database: SQLite under the data directory by default, PostgreSQL when
// DATABASE_URL (or --database-url) is postgresql://…  Migrations are applied before the client
// is handed out, so a fresh data directory or empty database just works.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js';
import { applyMigrations, type Provider } from './migrate.js';

// Both generated clients come from the same schema (only the provider differs), so their model
// APIs are identical; the SQLite client's type stands for both.
export type Db = SqliteClient;
export type { Provider };

export interface Database {
  db: Db;
  provider: Provider;
  /** Where the data lives, without credentials (for the start-up banner). */
  location: string;
  appliedMigrations: string[];
  close(): Promise<void>;
}

export function providerOf(url: string | undefined): Provider {
  return url && /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';
}

export async function openDatabase(opts: { dataDir: string; url?: string }): Promise<Database> {
  const provider = providerOf(opts.url);
  if (provider === 'postgresql') {
    const url = opts.url!;
    const appliedMigrations = await applyMigrations('postgresql', new PrismaPg({ connectionString: url }));
    const db = new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
    await db.$connect();
    const u = new URL(url);
    return {
      db,
      provider,
      location: `postgresql://${u.host}${u.pathname}`,
      appliedMigrations,
      close: () => db.$disconnect(),
    };
  }
  const file = opts.url?.startsWith('file:') ? resolve(opts.url.slice(5)) : join(opts.dataDir, 'berth.db');
  mkdirSync(resolve(file, '..'), { recursive: true });
  const appliedMigrations = await applyMigrations('sqlite', new PrismaBetterSqlite3({ url: `file:${file}` }));
  const db = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  await db.$connect();
  // WAL lets readers (audit export, list) proceed while a writer appends.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  return { db, provider, location: file, appliedMigrations, close: () => db.$disconnect() };
}
