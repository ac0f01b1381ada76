import type { WebSocket } from 'ws';
import { EngineError, isEngineError } from '../errors.js';
import type { Backend, OutputFrame } from './backend.js';
import type { RequestContext } from './context.js';
import type { Route } from './router.js';
import { execBackend } from './routers/exec.js';
import { flushed } from './streams.js';
import { acceptWebSocket, webSocketInput, webSocketSink } from './ws.js';

/**
 * WebSocket endpoints:
 * - `GET /containers/{id}/attach/ws` — Docker's: raw container stdio both ways (binary messages
 *   from API 1.42 on, text before, as dockerd).
 * - `GET /exec/{id}/ws` — Berth's exec stream for the gateway: one connection carries the exec's
 *   stdin, output, resizes and exit status. The protocol is in engine/EXEC-STREAM.md.
 */
export const wsRoutes: Route[] = [
  { method: 'GET', path: '/containers/{id}/attach/ws', handler: attachWebSocket },
  { method: 'GET', path: '/exec/{id}/ws', handler: execWebSocket },
];

const STREAM_BYTE = { stdout: 1, stderr: 2 } as const;

async function attachWebSocket(ctx: RequestContext, backend: Backend): Promise<void> {
  const id = ctx.param('id');
  backend.containerIsTty(id); // 404 before the upgrade
  const opts = {
    stream: ctx.bool('stream'),
    logs: ctx.bool('logs'),
    stdin: ctx.bool('stdin'),
    stdout: ctx.bool('stdout'),
    stderr: ctx.bool('stderr'),
    detachKeys: ctx.str('detachKeys'),
  };
  const binary = compareVersion(ctx.apiVersion, '1.42') >= 0;
  const ws = await acceptWebSocket(ctx);
  const input = webSocketInput(ws, () => {}, { textIsData: true });
  const sink = webSocketSink(ws, (f) => (binary ? f.data : f.data.toString('utf8')));
  try {
    await backend.containerAttach(id, opts, { input: opts.stdin ? input : null, output: sink });
    await flushed(sink);
    ws.close(1000);
  } catch (err) {
    closeWithError(ws, err);
  }
}

async function execWebSocket(ctx: RequestContext, backend: Backend): Promise<void> {
  const b = execBackend(backend);
  const id = ctx.param('id');
  // Refused before the upgrade, so the client gets a plain HTTP status.
  const state = b.execInspect(id);
  if (state.Running || (state.ExitCode !== null && state.ExitCode !== undefined)) {
    throw new EngineError('CONFLICT', `Error: Exec command ${id} has already been started`);
  }
  const tty = b.execIsTty(id);
  const h = ctx.int('h');
  const w = ctx.int('w');
  const size = h && w && h > 0 && w > 0 ? { height: h, width: w } : undefined;
  const ws = await acceptWebSocket(ctx);
  const send = (msg: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const input = webSocketInput(ws, (text) => {
    let msg: { type?: unknown; cols?: unknown; rows?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      send({ type: 'error', message: 'control messages are JSON' });
      return;
    }
    if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
      b.execResize(id, { height: msg.rows as number, width: msg.cols as number }).catch(() => undefined);
    } else if (msg.type === 'eof') {
      // Only without a TTY: a terminal's end of input is ^D, typed as data.
      if (!tty) input.push(null);
    } else {
      send({ type: 'error', message: `unknown control message: ${text.slice(0, 100)}` });
    }
  });
  // Without a TTY each output message starts with a byte naming the stream (1 stdout, 2 stderr).
  const sink = webSocketSink(ws, (f: OutputFrame) =>
    tty ? f.data : Buffer.concat([Buffer.from([STREAM_BYTE[f.stream]]), f.data]),
  );
  try {
    await b.execStart(
      id,
      { detach: false, tty, size, onStart: (pid) => send({ type: 'started', pid }) },
      { input, output: sink },
    );
    await flushed(sink);
    const after = b.execInspect(id);
    if (after.ExitCode === null || after.ExitCode === undefined) send({ type: 'detached' });
    else send({ type: 'exit', code: after.ExitCode });
    ws.close(1000);
  } catch (err) {
    closeWithError(ws, err);
  }
}

function closeWithError(ws: WebSocket, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (ws.readyState === ws.OPEN) {
    ws.send(JSON.stringify({ type: 'error', message }));
    // 4000 + HTTP status for the engine's own errors; 1011 for anything unexpected.
    ws.close(isEngineError(err) ? 4000 + err.status : 1011, message.slice(0, 120));
  }
}

function compareVersion(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
