// A migrated database of the run's provider, for tests below the HTTP layer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { provider } from './gateway.js';

let counter = 0;

export async function openTestDatabase(): Promise<Database & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-db-'));
  let url: string | undefined;
  if (provider === 'postgresql') {
    const base = inject('postgresUrl')!;
    const name = `t_${process.pid}_${Date.now()}_${counter++}`;
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    url = base.replace(/\/[^/]*$/, `/${name}`);
  }
  const database = await openDatabase({ dataDir: dir, url });
  return {
    ...database,
    async cleanup() {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
