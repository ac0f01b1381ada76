import { type Duplex, Writable } from 'node:stream';
import { EngineError } from '../../errors.js';
import type { Backend, ExecBackend, Json } from '../backend.js';
import type { RequestContext } from '../context.js';
import type { Route } from '../router.js';
import { frameWriter } from '../streams.js';

/** moby api/server/router/container/exec.go: create, start (hijacked), inspect, resize. */

export function execBackend(backend: Backend): ExecBackend {
  const { execCreate, execStart, execInspect, execResize, execIsTty } = backend;
  if (!execCreate || !execStart || !execInspect || !execResize || !execIsTty)
    throw new EngineError('NOT_IMPLEMENTED', 'exec');
  return backend as ExecBackend;
}

/** Docker's ConsoleSize: [height, width], both set, or nothing. */
export function consoleSize(v: unknown): { height: number; width: number } | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [height, width] = v as unknown[];
  if (!Number.isInteger(height) || !Number.isInteger(width) || (height as number) <= 0 || (width as number) <= 0)
    return undefined;
  return { height: height as number, width: width as number };
}

/**
 * Ties a client connection to its output sink: when the connection closes before the session
 * has ended the output, the sink is destroyed, which the daemon takes as "client gone".
 */
export function watchClient(conn: Duplex | Writable, output: Writable): void {
  conn.once('close', () => {
    if (!output.writableFinished) output.destroy();
  });
}

export const execRoutes: Route[] = [
  {
    method: 'POST',
    path: '/containers/{id}/exec',
    handler: async (ctx, backend) => {
      const body = await ctx.json<Json>({});
      ctx.send(201, await execBackend(backend).execCreate(ctx.param('id'), body));
    },
  },
  {
    method: 'POST',
    path: '/exec/{id}/start',
    handler: async (ctx, backend) => startExec(ctx, execBackend(backend)),
  },
  {
    method: 'GET',
    path: '/exec/{id}/json',
    handler: (ctx, backend) => ctx.send(200, execBackend(backend).execInspect(ctx.param('id'))),
  },
  {
    method: 'POST',
    path: '/exec/{id}/resize',
    handler: async (ctx, backend) => {
      const height = ctx.int('h');
      const width = ctx.int('w');
      if (height === undefined || width === undefined) throw new EngineError('BAD_PARAMETER', 'h and w are required');
      await execBackend(backend).execResize(ctx.param('id'), { height, width });
      ctx.send(200);
    },
  },
];

async function startExec(ctx: RequestContext, b: ExecBackend): Promise<void> {
  const id = ctx.param('id');
  const body = await ctx.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: unknown }>({});
  // Refuse before taking over the connection, so errors are still plain HTTP answers.
  const state = b.execInspect(id);
  if (state.Running) throw new EngineError('CONFLICT', `Error: Exec command ${id} is already running`);
  if (state.ExitCode !== null && state.ExitCode !== undefined)
    throw new EngineError('CONFLICT', `Error: Exec command ${id} has already run`);
  const tty = b.execIsTty(id);
  const size = consoleSize(body.ConsoleSize);
  if (body.Detach) {
    const sink = frameWriter(discard(), tty);
    await b.execStart(id, { detach: true, tty, size }, { input: null, output: sink });
    ctx.send(200);
    return;
  }
  const { input, output } = ctx.hijack(
    tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
  );
  const sink = frameWriter(output, tty);
  watchClient(input ?? output, sink);
  await b.execStart(id, { detach: false, tty, size }, { input, output: sink });
}

function discard(): Writable {
  return new Writable({ objectMode: true, write: (_chunk, _enc, cb) => cb() });
}
