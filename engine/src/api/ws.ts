import { Readable, Writable } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { EngineError } from '../errors.js';
import type { OutputFrame } from './backend.js';
import type { RequestContext } from './context.js';

/**
 * WebSocket plumbing shared by the attach and exec WebSocket endpoints (ws-routes.ts): the
 * upgrade through the API server's own 'upgrade' dispatch, and stream adapters with
 * back-pressure both ways, so one slow side never makes berthd buffer without bound.
 */

/** Frames berthd holds per WebSocket before it stops reading the session's output. */
const SEND_HIGH_WATER = 16;
/** Largest message a client may send (stdin chunks and control messages are small). */
const MAX_PAYLOAD = 1024 * 1024;
/** A client that answers no ping for this long is gone (a dropped network sends no FIN). */
const PING_INTERVAL_MS = 30_000;

const server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });

/** Complete the WebSocket handshake on an `Upgrade: websocket` request. */
export function acceptWebSocket(ctx: RequestContext): Promise<WebSocket> {
  const socket = ctx.upgradeSocket;
  if (!socket || ctx.req.headers.upgrade?.toLowerCase() !== 'websocket') {
    throw new EngineError('BAD_PARAMETER', 'this endpoint needs a WebSocket upgrade');
  }
  return new Promise((resolve) => {
    server.handleUpgrade(ctx.req, socket as never, ctx.upgradeHead ?? Buffer.alloc(0), (ws) => {
      keepAlive(ws);
      resolve(ws);
    });
  });
}

function keepAlive(ws: WebSocket): void {
  let alive = true;
  ws.on('pong', () => {
    alive = true;
  });
  const timer = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, PING_INTERVAL_MS);
  timer.unref();
  ws.once('close', () => clearInterval(timer));
}

/**
 * An objectMode sink of OutputFrames that sends each as one message. A frame counts as written
 * only once ws has handed it to the socket, so a client that reads slowly fills the socket, then
 * this sink, and then the session stops reading the process (which blocks on its output).
 */
export function webSocketSink(ws: WebSocket, encode: (frame: OutputFrame) => Buffer | string): Writable {
  const sink = new Writable({
    objectMode: true,
    highWaterMark: SEND_HIGH_WATER,
    write(frame: OutputFrame, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb();
      const data = encode(frame);
      ws.send(data, { binary: typeof data !== 'string' }, () => cb());
    },
  });
  ws.once('close', () => {
    // The client is gone: the session sees its output closed (a hangup for exec sessions).
    if (!sink.writableFinished) sink.destroy();
  });
  return sink;
}

/**
 * A Readable of the client's binary messages (stdin). When the process does not read its stdin
 * fast enough the session stops reading this, and then ws stops reading the socket, so the client
 * is held back by TCP. Text messages go to `onText` (control messages).
 */
export function webSocketInput(
  ws: WebSocket,
  onText: (text: string) => void,
  opts: { textIsData?: boolean } = {},
): Readable {
  const input = new Readable({
    highWaterMark: 64 * 1024,
    read: () => {
      if (ws.isPaused) ws.resume();
    },
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!isBinary && !opts.textIsData) {
      onText(buf.toString('utf8'));
      return;
    }
    if (!input.destroyed && !input.readableEnded && !input.push(buf)) ws.pause();
  });
  ws.once('close', () => input.destroy());
  return input;
}
