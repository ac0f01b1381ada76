import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { EngineError, isEngineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from './backend.js';
import { RequestContext } from './context.js';
import type { Route } from './router.js';
import { Router } from './router.js';
import { buildRoutes } from './routers/build.js';
import { containerRoutes } from './routers/containers.js';
import { execRoutes } from './routers/exec.js';
import { imageRoutes } from './routers/images.js';
import { networkRoutes } from './routers/networks.js';
import { systemRoutes } from './routers/system.js';
import { volumeRoutes } from './routers/volumes.js';
import { wsRoutes } from './ws-routes.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface ListenOptions {
  /** `unix:///path.sock` or `tcp://host:port`. */
  host: string;
  tls?: TlsFiles;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

export class ApiServer {
  private readonly router = new Router();
  private readonly servers: Server[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly log: Logger,
    extraRoutes: Route[] = [],
  ) {
    this.router
      .add(systemRoutes)
      .add(containerRoutes)
      .add(imageRoutes)
      .add(volumeRoutes)
      .add(networkRoutes)
      .add(execRoutes)
      .add(wsRoutes)
      .add(buildRoutes)
      .add(extraRoutes);
  }

  async listen(opts: ListenOptions): Promise<void> {
    const server = opts.tls ? await this.tlsServer(opts.tls) : createHttpServer();
    server.on('request', (req, res) => void this.dispatch(req, res));
    server.on('upgrade', (req, socket, head) => void this.dispatch(req, undefined, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    // Streams (logs -f, events, attach) stay open as long as the client wants.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 60_000;
    const url = new URL(opts.host);
    if (url.protocol === 'unix:') {
      const path = url.pathname;
      await mkdir(dirname(path), { recursive: true });
      await rm(path, { force: true });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
      await chmod(path, 0o660);
    } else if (url.protocol === 'tcp:') {
      if (!opts.tls)
        this.log.warn(
          { host: opts.host },
          'listening on TCP without TLS: anyone who can reach it is root on this host',
        );
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen(Number(url.port || (opts.tls ? 2376 : 2375)), url.hostname, resolve),
      );
    } else {
      throw new EngineError('BAD_PARAMETER', `unsupported host ${opts.host}: use unix:// or tcp://`);
    }
    this.servers.push(server);
    this.log.info({ host: opts.host, tls: Boolean(opts.tls) }, 'API listening');
  }

  private async tlsServer(tls: TlsFiles): Promise<Server> {
    // Mutual TLS: a client without a certificate signed by our CA never gets past the handshake.
    return createHttpsServer({
      ca: await readFile(tls.ca),
      cert: await readFile(tls.cert),
      key: await readFile(tls.key),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections?.();
          }),
      ),
    );
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket?: Duplex,
    head?: Buffer,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berthd');
    let path = url.pathname;
    let version = this.backend.apiVersion;
    const prefixed = VERSION_PREFIX.exec(path);
    if (prefixed) {
      version = prefixed[1] ?? version;
      path = prefixed[2] ?? '/';
    }
    const ctx = new RequestContext(req, res, {}, url, version, socket, head);
    try {
      if (compareVersions(version, this.backend.apiVersion) > 0) {
        throw new EngineError(
          'BAD_PARAMETER',
          `client version ${version} is too new. Maximum supported API version is ${this.backend.apiVersion}`,
        );
      }
      if (compareVersions(version, this.backend.minApiVersion) < 0) {
        throw new EngineError(
          'BAD_PARAMETER',
          `client version ${version} is too old. Minimum supported API version is ${this.backend.minApiVersion}, please upgrade your client to a newer version`,
        );
      }
      const match = this.router.match(req.method ?? 'GET', path);
      if (match === 'method') throw new EngineError('NOT_FOUND');
      if (!match) throw new EngineError('NOT_FOUND');
      Object.assign(ctx.params, match.params);
      this.log.debug({ method: req.method, path }, 'request');
      await match.route.handler(ctx, this.backend);
    } catch (err) {
      this.fail(ctx, err, socket);
    }
  }

  private fail(ctx: RequestContext, err: unknown, socket?: Duplex): void {
    const status = isEngineError(err) ? err.status : 500;
    const message = err instanceof Error ? err.message : String(err);
    if (status >= 500) this.log.error({ err, path: ctx.req.url }, 'request failed');
    else this.log.debug({ status, message, path: ctx.req.url }, 'request refused');
    const body = JSON.stringify({ message });
    if (socket) {
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      return;
    }
    const res = ctx.res;
    if (!res) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  }
}
