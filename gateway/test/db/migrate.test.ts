import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import {
  applyMigrations,
  diffDatabaseToSchema,
  diffSchemas,
  introspect,
  migrationsDir,
  readMigrations,
  schemaFor,
} from '../../src/db/migrate.js';
import { provider } from '../support/gateway.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function freshDatabase(name: string): Promise<string> {
  if (provider === 'sqlite') return `file:${join(tmp, `${name}.db`)}`;
  const base = inject('postgresUrl')!;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  return base.replace(/\/[^/]*$/, `/${name}`);
}

const factory = (url: string) =>
  provider === 'sqlite' ? new PrismaBetterSqlite3({ url }) : new PrismaPg({ connectionString: url });

describe(`migrations (${provider})`, () => {
  it('keeps the standard layout for both providers', () => {
    for (const p of ['sqlite', 'postgresql'] as const) {
      const list = readMigrations(migrationsDir(p));
      expect(list.lockfile.content).toContain(`provider = "${p}"`);
      expect(list.migrationDirectories.length).toBeGreaterThan(0);
      for (const m of list.migrationDirectories) {
        expect(m.path).toMatch(/\/\d{14}_[a-z0-9_]+$/);
        expect(m.migrationFile.content).toMatchObject({ tag: 'ok' });
      }
    }
    // The same migrations exist for both providers, by name.
    const names = (p: 'sqlite' | 'postgresql') =>
      readMigrations(migrationsDir(p)).migrationDirectories.map((m) => m.path.split('/').pop());
    expect(names('postgresql')).toEqual(names('sqlite'));
  });

  it('derives the PostgreSQL schema by swapping only the provider', () => {
    const sqlite = schemaFor('sqlite');
    const postgres = schemaFor('postgresql');
    expect(sqlite).toContain('provider = "sqlite"');
    expect(postgres).toContain('provider = "postgresql"');
    expect(postgres.replace('provider = "postgresql"', 'provider = "sqlite"')).toBe(sqlite);
  });

  it('applies every migration once, offline, through the wasm engine', async () => {
    const url = await freshDatabase(`migrate_once_${process.pid}`);
    const first = await applyMigrations(provider, factory(url));
    expect(first.length).toBe(readMigrations(migrationsDir(provider)).migrationDirectories.length);
    expect(await applyMigrations(provider, factory(url))).toEqual([]);
  });

  it('leaves a database the application client can use at once', async () => {
    const url = await freshDatabase(`migrate_client_${process.pid}`);
    const database = await openDatabase({ dataDir: tmp, url });
    try {
      expect(database.provider).toBe(provider);
      await database.db.user.create({ data: { username: 'u1', passwordHash: 'x' } });
      expect(await database.db.user.count()).toBe(1);
      expect(await database.db.auditEvent.count()).toBe(0);
    } finally {
      await database.close();
    }
  });

  it.runIf(provider === 'sqlite')('has no schema change without a migration (both providers)', async () => {
    const url = `file:${join(tmp, 'pending.db')}`;
    await applyMigrations('sqlite', new PrismaBetterSqlite3({ url }));
    expect(await diffDatabaseToSchema(new PrismaBetterSqlite3({ url }), schemaFor('sqlite'))).toBe('');
    // PostgreSQL's state after its migrations equals SQLite's (same portable schema): the
    // introspected datamodel, re-targeted, must not differ from the schema either.
    const previous = (await introspect(new PrismaBetterSqlite3({ url }), schemaFor('sqlite'))).replace(
      /provider\s*=\s*"sqlite"/,
      'provider = "postgresql"',
    );
    const { startPostgres } = await import('../support/postgres.js');
    const scratch = await startPostgres();
    try {
      const pgFactory = new PrismaPg({ connectionString: scratch.url });
      expect(await diffSchemas(pgFactory, previous, schemaFor('postgresql'))).toBe('');
      // And the PostgreSQL migrations from empty produce exactly the schema.
      const all = await diffSchemas(new PrismaPg({ connectionString: scratch.url }), null, schemaFor('postgresql'));
      expect(all).toContain('CREATE TABLE "AuditEvent"');
    } finally {
      await scratch.stop();
    }
  });

  it('reports engine errors with their cause', async () => {
    const bad = join(tmp, 'bad-migrations');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(bad, '20200101000000_broken'), { recursive: true });
    await writeFile(join(bad, 'migration_lock.toml'), `provider = "${provider}"\n`);
    await writeFile(join(bad, '20200101000000_broken', 'migration.sql'), 'CREATE TABLE "x" (;');
    const url = await freshDatabase(`migrate_bad_${process.pid}`);
    await expect(applyMigrations(provider, factory(url), bad)).rejects.toThrow(/schema engine/);
  });
});
