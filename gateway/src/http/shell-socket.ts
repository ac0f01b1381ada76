// The shell WebSocket (/ws/shell?ticket=…[&session=…][&cols=&rows=]). The one-time ticket is
// checked before the upgrade, so a bad ticket never gets a socket; an Origin from another site
// is refused; a session cookie, if sent, must belong to the ticket's user.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { authenticate } from '../context.js';
import type { Services } from '../services.js';
import { isCrossSite } from './csrf.js';

function reject(socket: Duplex, status: number, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

function dimension(value: string | null, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : fallback;
}

export function createShellSocket(services: Services) {
  // Terminal input is small; a megabyte bounds a paste without letting a client exhaust memory.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    if (isCrossSite(req, services.config.trustProxy)) return reject(socket, 403, 'cross-site WebSocket refused');
    const ticket = url.searchParams.get('ticket');
    const claims = ticket ? services.shells.tickets.consume(ticket) : null;
    if (!claims) return reject(socket, 401, 'shell ticket is invalid, used or expired');
    const session = url.searchParams.get('session');
    if (session !== null && session !== claims.sessionId) return reject(socket, 401, 'ticket is for another session');
    if (claims.kind === 'reattach' && session === null) return reject(socket, 400, 'a reattach needs ?session=');
    if (req.headers.cookie || req.headers.authorization) {
      const who = await authenticate(services, req);
      if (who && who.user.id !== claims.userId) return reject(socket, 401, 'ticket belongs to another user');
    }
    const size = {
      cols: dimension(url.searchParams.get('cols'), 80),
      rows: dimension(url.searchParams.get('rows'), 24),
    };
    wss.handleUpgrade(req, socket, head, (ws) => {
      void services.shells.connect(ws, claims, size).catch((err: Error) => {
        services.log.error({ err: err.message }, 'shell connect failed');
        ws.close(1011, 'internal error');
      });
    });
  }

  return {
    wss,
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
      upgrade(req, socket, head, url).catch(() => reject(socket, 500, 'internal error'));
    },
    close(): void {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
