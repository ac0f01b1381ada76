// Per project: the PostgreSQL project starts one throwaway cluster for the whole run; each test
// gateway then gets its own database in it.
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  if (project.config.env?.BERTH_TEST_DB !== 'postgresql') {
    project.provide('postgresUrl', null);
    return;
  }
  const pg = await startPostgres();
  project.provide('postgresUrl', pg.url);
  return async () => {
    await pg.stop();
  };
}
