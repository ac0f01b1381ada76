import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Whole-stack browser tests: one engine + gateway + Chromium per file, files run one at a time.
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
