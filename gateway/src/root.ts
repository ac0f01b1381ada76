// The gateway's API: one router per resource (create-t3-turbo style). The console imports only
// `import type { AppRouter } from '@berth/gateway/router'`.
import { auditRouter } from './routers/audit.js';
import { authRouter } from './routers/auth.js';
import { containersRouter } from './routers/containers.js';
import { hostsRouter } from './routers/hosts.js';
import { imagesRouter } from './routers/images.js';
import { networksRouter } from './routers/networks.js';
import { shellsRouter } from './routers/shells.js';
import { teamsRouter } from './routers/teams.js';
import { tokensRouter } from './routers/tokens.js';
import { usersRouter } from './routers/users.js';
import { volumesRouter } from './routers/volumes.js';
import { router } from './trpc.js';

export const appRouter = router({
  auth: authRouter,
  tokens: tokensRouter,
  users: usersRouter,
  teams: teamsRouter,
  hosts: hostsRouter,
  containers: containersRouter,
  images: imagesRouter,
  volumes: volumesRouter,
  networks: networksRouter,
  shells: shellsRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
