import { defineConfig } from 'vitest/config';

// Two projects over the same tests: `sqlite` runs everything; `postgresql` re-runs every test
// that touches the database against a throwaway PostgreSQL cluster (global-setup.ts). Host tests
// start private dockerd (and berthd, when built) instances, so files run one at a time.
const DATABASE_TESTS = [
  'test/db/**/*.test.ts',
  'test/audit/**/*.test.ts',
  'test/auth/**/*.test.ts',
  'test/routers/**/*.test.ts',
  'test/hosts/**/*.test.ts',
  'test/shells/**/*.test.ts',
  'test/cli/**/*.test.ts',
];

export default defineConfig({
  test: {
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          env: { BERTH_TEST_DB: 'sqlite' },
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgresql',
          include: DATABASE_TESTS,
          env: { BERTH_TEST_DB: 'postgresql' },
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
