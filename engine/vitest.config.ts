import { configDefaults, defineConfig } from 'vitest/config';
import { quarantined } from '../test-quarantine.js';

// Integration tests drive real containers through runc; they share one machine, so files run
// one at a time and each test may take seconds.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...quarantined('engine')],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
