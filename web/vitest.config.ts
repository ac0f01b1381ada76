import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests only; the end-to-end suite has its own config (vitest.e2e.config.ts) because it
// needs the whole stack (gateway + a host + Chromium) and runs serially with long timeouts.
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: { include: ['test/unit/**/*.test.ts'], environment: 'node' },
});
