import type { ServerResponse } from 'node:http';
import type { ProgressFn } from '../images/types.js';
import type { RequestContext } from './context.js';
import { progressWriter } from './streams.js';

/**
 * Run a long operation whose output is Docker's JSON progress stream (pull, push, import, load,
 * build). The 200 and the stream start with the first event, so errors found before it get a
 * proper HTTP status; later ones go in-stream as `{"errorDetail":{"code"?,"message"},"error"}`
 * (a failed RUN's exit status is the code the docker CLI exits with). A client that goes away
 * cancels the operation.
 */
export async function withProgress(
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
