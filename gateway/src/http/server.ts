// The gateway's single HTTP server: tRPC at /trpc, the shell WebSocket at /ws/shell, plain
// routes at /api, and everything else to the console (when --web is given).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { createHttpContext } from '../context.js';
import { Errors } from '../errors.js';
import { appRouter } from '../root.js';
import type { Services } from '../services.js';
import { handleApi } from './api.js';
import { isCrossSite, isUnsafeMethod } from './csrf.js';
import { sendError, sendJson } from './respond.js';
import { createShellSocket } from './shell-socket.js';
import type { WebHandler } from './web.js';

export function createHttpServer(services: Services, web?: WebHandler): { server: Server; closeSockets(): void } {
  const shellSocket = createShellSocket(services);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const api = url.pathname.startsWith('/trpc/') || url.pathname.startsWith('/api/');
    if (api) {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'no-store');
      if (isUnsafeMethod(req.method) && isCrossSite(req, services.config.trustProxy))
        return sendError(res, Errors.CSRF_REFUSED());
    }
    if (url.pathname.startsWith('/trpc/')) {
      // An HTML form can POST only urlencoded, multipart or text/plain bodies without a CORS
      // preflight; requiring JSON closes that door even for clients that omit Origin.
      if (req.method === 'POST' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return sendError(res, Errors.CSRF_REFUSED());
      }
      await nodeHTTPRequestHandler({
        router: appRouter,
        req,
        res,
        path: url.pathname.slice('/trpc/'.length),
        createContext: ({ req: r, res: s }) => createHttpContext(services, r, s),
        onError({ error, path }) {
          if (error.code === 'INTERNAL_SERVER_ERROR') {
            services.log.error({ path, err: error.cause ?? error }, 'procedure failed');
          }
        },
      });
      return;
    }
    if (url.pathname.startsWith('/api/')) return handleApi(services, req, res, url);
    if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
    if (web) return web(req, res);
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'not found' } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      services.log.error({ err }, 'request failed');
      sendError(res, err);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname === '/ws/shell') shellSocket.handleUpgrade(req, socket, head, url);
    else socket.destroy();
  });
  return { server, closeSockets: () => shellSocket.close() };
}
