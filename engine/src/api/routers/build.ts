import type { ServerResponse } from 'node:http';
import { EngineError } from '../../errors.js';
import type { ProgressFn } from '../../images/types.js';
import type { RequestContext } from '../context.js';
import type { Route } from '../router.js';
import { progressWriter } from '../streams.js';

/**
 * `POST /build` (the classic builder). The 200 and the JSON stream start with the first output,
 * so errors found before it (bad tag, unreadable context, Dockerfile parse errors) get a proper
 * HTTP status; later ones go in-stream as `{"errorDetail":{"code":…,"message":…},"error":…}`,
 * the code being a failed RUN's exit status, which the docker CLI exits with.
 */
async function buildStream(
  ctx: RequestContext,
  run: (progress: ProgressFn, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  let res: ServerResponse | undefined;
  let write: ProgressFn | undefined;
  const progress: ProgressFn = (event) => {
    if (!res) {
      res = ctx.stream(200, 'application/json');
      res.on('close', () => {
        if (!res?.writableFinished) abort.abort();
      });
      write = progressWriter(res);
    }
    write?.(event);
  };
  // a client that goes away mid-build cancels it (its RUN container is killed)
  ctx.req.on('close', () => {
    if (!ctx.req.complete) abort.abort();
  });
  try {
    await run(progress, abort.signal);
  } catch (err) {
    if (!res) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    const detail = typeof code === 'number' ? { code, message } : { message };
    progress({ errorDetail: detail as { message: string }, error: message });
  }
  if (!res) res = ctx.stream(200, 'application/json');
  res.end();
}

export const buildRoutes: Route[] = [
  {
    method: 'POST',
    path: '/build',
    handler: async (ctx, backend) => {
      const build = backend.build;
      if (!build) throw new EngineError('NOT_IMPLEMENTED', 'build');
      const registryConfig = ctx.req.headers['x-registry-config'];
      await buildStream(ctx, (progress, signal) =>
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
