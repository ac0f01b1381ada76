import { type Duplex, Writable } from 'node:stream';
import { EngineError } from '../../errors.js';
import type { Backend, ExecBackend, Json } from '../backend.js';
import type { RequestContext } from '../context.js';
import type { Route } from '../router.js';
import { flushed, frameWriter } from '../streams.js';

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
  const { body, rest } = await startBody(ctx);
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
    if (ctx.upgradeSocket) ctx.upgradeSocket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    else ctx.send(200);
    return;
  }
  const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  const socket = ctx.upgradeSocket;
  let input: Duplex | null = null;
  let output: Writable;
  if (socket) {
    // RequestContext.hijack would hand the request body over as stdin: answer 101 here instead.
    socket.on('error', () => {}); // EPIPE from a client gone mid-stream; 'close' ends the session
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    if (rest.length > 0) socket.unshift(rest);
    input = socket;
    output = socket;
  } else {
    ({ input, output } = ctx.hijack(contentType));
  }
  const sink = frameWriter(output, tty);
  watchClient(input ?? output, sink);
  try {
    await b.execStart(id, { detach: false, tty, size }, { input, output: sink });
    // A session that ended its output (not one whose client went away): what the sink still
    // holds goes out before the socket closes.
    if (sink.writableEnded) await flushed(sink);
  } finally {
    // A client that went away may have left its side half-open (FIN): close ours too.
    if (socket && !socket.destroyed) socket.end();
  }
}

interface StartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: unknown;
}

/**
 * The start request's JSON body. With `Upgrade: tcp` Node does not parse it: it is the first
 * Content-Length bytes of the upgrade head (or of the socket after it); what follows is stdin.
 */
async function startBody(ctx: RequestContext): Promise<{ body: StartBody; rest: Buffer }> {
  const socket = ctx.upgradeSocket;
  if (!socket) return { body: await ctx.json<StartBody>({}), rest: Buffer.alloc(0) };
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > 1024 * 1024)
    throw new EngineError('BAD_PARAMETER', 'invalid Content-Length');
  let buf = ctx.upgradeHead ?? Buffer.alloc(0);
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => done(d);
      const onEnd = () => done(null);
      const done = (d: Buffer | null) => {
        socket.off('data', onData).off('end', onEnd).off('close', onEnd);
        socket.pause();
        resolve(d);
      };
      socket.on('data', onData).once('end', onEnd).once('close', onEnd);
    });
    if (!chunk) throw new EngineError('BAD_PARAMETER', 'request body ended early');
    buf = Buffer.concat([buf, chunk]);
  }
  const text = buf.subarray(0, length).toString('utf8');
  let body: StartBody = {};
  try {
    if (text.trim()) body = JSON.parse(text) as StartBody;
  } catch (err) {
    throw new EngineError('BAD_PARAMETER', `invalid JSON: ${(err as Error).message}`);
  }
  return { body, rest: buf.subarray(length) };
}

function discard(): Writable {
  return new Writable({ objectMode: true, write: (_chunk, _enc, cb) => cb() });
}
