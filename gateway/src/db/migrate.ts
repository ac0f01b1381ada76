// The one place that touches Prisma's internal migration machinery, so a Prisma upgrade breaks
// only this file (and its test).
//
// Prisma 7's CLI runs migrations through a native schema-engine binary it downloads; this machine
// (and CI) cannot download it. The same engine ships as WebAssembly in @prisma/schema-engine-wasm
// and talks to the database through a driver adapter, so migrations run offline here.
// We load the wasm module ourselves rather than through @prisma/migrate's SchemaEngineWasm.setup:
// that helper reads the .wasm from @prisma/internals/build/, a file only the bundled `prisma` CLI
// carries, so it fails when installed from npm as a library.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';

export type Provider = 'sqlite' | 'postgresql';

const here = dirname(fileURLToPath(import.meta.url));
/** Repo-root prisma/ (src/db and dist/db are both three levels below the repo root). */
export const PRISMA_DIR = process.env.BERTH_PRISMA_DIR ?? resolve(here, '../../../prisma');
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

export function migrationsDir(provider: Provider): string {
  return join(PRISMA_DIR, 'migrations', provider);
}

/** The schema text for a provider: the one schema.prisma with only its datasource provider swapped. */
export function schemaFor(provider: Provider): string {
  const schema = readFileSync(join(PRISMA_DIR, 'schema.prisma'), 'utf8');
  if (provider === 'sqlite') return schema;
  const parts = schema.split('provider = "sqlite"');
  if (parts.length !== 2) throw new Error('schema.prisma must name provider = "sqlite" exactly once');
  return parts.join(`provider = "${provider}"`);
}

// Node has WebAssembly; the ES2023 lib this project compiles against does not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
};

type SchemaEngineClass = typeof SchemaEngine;
let engineClass: Promise<SchemaEngineClass> | undefined;

async function loadEngineClass(): Promise<SchemaEngineClass> {
  const runtime = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const require = createRequire(import.meta.url);
  const wasmPath = join(
    dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
    'schema_engine_bg.wasm',
  );
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
    './schema_engine_bg.js': runtime,
  });
  runtime.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return runtime.SchemaEngine;
}

/**
 * Runs `fn` with a wasm schema engine connected through `factory`, then frees the engine and
 * disposes every connection it opened. Disposal matters: on SQLite the engine takes an EXCLUSIVE
 * lock that would otherwise block the application's own client.
 */
async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: string,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  engineClass ??= loadEngineClass();
  const Engine = await engineClass;
  const opened: SqlDriverAdapter[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const adapter = bindMigrationAwareSqlAdapterFactory(tracked);
  // The callback receives the engine's tracing lines (including SQL); they are not logged.
  const engine = await Engine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
  try {
    return await fn(engine);
  } catch (err) {
    throw engineError(err, adapter.errorRegistry);
  } finally {
    engine.free();
    await Promise.allSettled(opened.map((a) => a.dispose()));
  }
}

/**
 * Engine errors arrive as plain objects whose message may point into the adapter's error
 * registry ("External error id#N") for the underlying driver error; fold that in.
 */
function engineError(err: unknown, registry: { consumeError(id: number): unknown }): Error {
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  const id = /External error id#(\d+)/.exec(message)?.[1];
  const driverError =
    id === undefined ? undefined : (registry.consumeError(Number(id)) as { error?: unknown } | undefined);
  const detail = driverError
    ? ` (${inspect(driverError.error ?? driverError, { depth: 3, breakLength: Infinity })})`
    : '';
  return new Error(`schema engine${e?.code ? ` ${e.code}` : ''}: ${message.split('\n')[0]}${detail}`, { cause: err });
}

/** Reads a standard Prisma migrations folder (lock file plus <name>/migration.sql) into the engine's input. */
export function readMigrations(dir: string): MigrationList {
  const lockPath = join(dir, 'migration_lock.toml');
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir: dir,
    lockfile: { path: lockPath, content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => ({
      path: join(dir, name),
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: readFileSync(join(dir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/**
 * Names of the migrations recorded as applied (finished, not rolled back) in _prisma_migrations,
 * read with a plain query; empty when the table does not exist yet.
 */
async function appliedNames(factory: SqlMigrationAwareDriverAdapterFactory): Promise<Set<string>> {
  const adapter = await factory.connect();
  try {
    const result = await adapter.queryRaw({
      sql: 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      args: [],
      argTypes: [],
    });
    return new Set(result.rows.map((r) => String(r[0])));
  } catch {
    return new Set();
  } finally {
    await adapter.dispose();
  }
}

/**
 * `prisma migrate deploy`: applies every migration in `dir` not yet recorded in _prisma_migrations.
 * When every one is already recorded the schema engine is not loaded at all: instantiating the
 * wasm module costs seconds, and most starts (and every CLI command) have nothing to apply.
 */
export async function applyMigrations(
  provider: Provider,
  factory: SqlMigrationAwareDriverAdapterFactory,
  dir = migrationsDir(provider),
): Promise<string[]> {
  const migrationsList = readMigrations(dir);
  if (migrationsList.migrationDirectories.length === 0) throw new Error(`no migrations found in ${dir}`);
  const applied = await appliedNames(factory);
  if (migrationsList.migrationDirectories.every((m) => applied.has(basename(m.path)))) return [];
  const result = await withEngine(factory, schemaFor(provider), (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
  );
  return result.appliedMigrationNames;
}

function emptyDiff(sql: string): boolean {
  return sql.trim() === '' || /^\s*-- This is an empty migration\.?\s*$/.test(sql);
}

/**
 * The SQL that takes the database behind `factory` to `schema` ('' when they already match),
 * by describing the live database. Used for SQLite. (Replaying migrations into a shadow database
 * is not used: this engine build's SQLite shadow path rejects multi-statement scripts, and on
 * PostgreSQL describing any database fails in @prisma/adapter-pg 7.10 on the pg_catalog "char"
 * type, so PostgreSQL goes through diffSchemas instead.)
 */
export async function diffDatabaseToSchema(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: string,
): Promise<string> {
  const files = [{ path: 'schema.prisma', content: schema }];
  const result = await withEngine(factory, schema, (engine) =>
    engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: PRISMA_DIR },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    }),
  );
  const sql = result.stdout ?? '';
  return emptyDiff(sql) ? '' : sql;
}

/**
 * The SQL between two datamodels (`from` null = empty database), computed without touching a
 * database: the engine only needs an adapter of the right provider, it never connects.
 */
export async function diffSchemas(
  factory: SqlMigrationAwareDriverAdapterFactory,
  from: string | null,
  to: string,
): Promise<string> {
  const result = await withEngine(factory, to, (engine) =>
    engine.diff({
      from:
        from === null
          ? { tag: 'empty' }
          : { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: from }] },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: to }] },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    }),
  );
  const sql = result.stdout ?? '';
  return emptyDiff(sql) ? '' : sql;
}

/** Introspects the database behind `factory` into a Prisma schema (datasource/generator kept from `schema`). */
export async function introspect(factory: SqlMigrationAwareDriverAdapterFactory, schema: string): Promise<string> {
  const result = await withEngine(factory, schema, (engine) =>
    engine.introspect({
      schema: { files: [{ path: 'schema.prisma', content: schema }] },
      baseDirectoryPath: PRISMA_DIR,
      force: true,
      compositeTypeDepth: -1,
      namespaces: null,
    }),
  );
  return result.schema.files.map((f) => f.content).join('\n');
}
