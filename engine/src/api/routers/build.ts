import { EngineError } from '../../errors.js';
import { withProgress } from '../progress.js';
import type { Route } from '../router.js';

export const buildRoutes: Route[] = [
  {
    method: 'POST',
    path: '/build',
    handler: async (ctx, backend) => {
      const build = backend.build;
      if (!build) throw new EngineError('NOT_IMPLEMENTED', 'build');
      const registryConfig = ctx.req.headers['x-registry-config'];
      await withProgress(ctx, (progress, signal) =>
        build.call(
          backend,
          ctx.req,
          ctx.query,
          Array.isArray(registryConfig) ? registryConfig[0] : registryConfig,
          progress,
          signal,
        ),
      );
    },
  },
];
