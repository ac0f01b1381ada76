import { defineConfig } from 'vitest/config';

// Integration tests drive real containers through runc; they share one machine, so files run
// one at a time and each test may take seconds.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
