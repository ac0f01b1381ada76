// Prisma 7 reads its settings from here rather than from the schema. The gateway applies
// migrations itself at start-up (src/db/migrate.ts, Prisma's wasm schema engine), so this file
// only tells the CLI (`prisma generate`, `prisma validate`, `prisma studio`) where the one
// schema and the SQLite migrations are.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: '../prisma/schema.prisma',
  migrations: { path: '../prisma/migrations/sqlite' },
});
