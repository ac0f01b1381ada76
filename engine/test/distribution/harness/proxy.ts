import { createServer, request, type Server } from 'node:http';

export interface BlobFault {
  /** Send this many body bytes of the blob, then drop the connection. */
  cutAfter?: number;
  /** Flip the byte at this offset of the body. */
  corruptAt?: number;
  /** Apply the fault this many times, then pass through (default: always). */
  times?: number;
  /** Send this many body bytes, then hold the connection open without sending more. */
  stallAfter?: number;
  /** Called when a response was cut. */
  onCut?: () => void;
}

export interface SeenRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
}

/**
 * An HTTP reverse proxy in front of a test registry that can break blob (and by-digest manifest) downloads: cut a
 * response mid-body or corrupt a byte. Records every request (method, path, Range) so tests can
 * see what a pull resumed.
 */
export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  readonly faults = new Map<string, BlobFault>();
  /** Answer blob GETs with a 307 to the registry itself, as registries on object storage do. */
  redirectBlobs = false;
  private server: Server | undefined;
  private portNo = 0;

  private constructor(private readonly upstreamPort: number) {}

  static async start(upstreamPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstreamPort);
    await proxy.listen();
    return proxy;
  }

  get host(): string {
    return `127.0.0.1:${this.portNo}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      const digest = /\/(?:blobs|manifests)\/(sha256:[a-f0-9]{64})$/.exec(path)?.[1];
      const fault = req.method === 'GET' && digest ? this.faults.get(digest) : undefined;
      if (this.redirectBlobs && req.method === 'GET' && path.includes('/blobs/')) {
        this.seen.push({
          method: 'GET',
          path,
          status: 307,
          ...(req.headers.range ? { range: req.headers.range } : {}),
        });
        res.writeHead(307, { location: `http://127.0.0.1:${this.upstreamPort}${path}` }).end();
        return;
      }
      const upstream = request(
        {
          host: '127.0.0.1',
          port: this.upstreamPort,
          method: req.method,
          path,
          headers: { ...req.headers, host: `127.0.0.1:${this.upstreamPort}` },
        },
        (up) => {
          this.seen.push({
            method: req.method ?? '',
            path,
            status: up.statusCode ?? 0,
            ...(req.headers.range ? { range: req.headers.range } : {}),
          });
          res.writeHead(up.statusCode ?? 502, up.headers);
          const active =
            fault && (up.statusCode === 200 || up.statusCode === 206) && (fault.times ?? Number.POSITIVE_INFINITY) > 0;
          if (!active || !fault) {
            up.pipe(res);
            return;
          }
          if (fault.times !== undefined) fault.times--;
          let sent = 0;
          up.on('data', (chunk: Buffer) => {
            let out = chunk;
            if (fault.corruptAt !== undefined && fault.corruptAt >= sent && fault.corruptAt < sent + chunk.length) {
              out = Buffer.from(chunk);
              const i = fault.corruptAt - sent;
              out[i] = (out[i] ?? 0) ^ 0xff;
            }
            if (fault.stallAfter !== undefined && sent + out.length >= fault.stallAfter) {
              res.write(out.subarray(0, fault.stallAfter - sent));
              sent = fault.stallAfter;
              up.pause();
              up.removeAllListeners('data');
              return;
            }
            if (fault.cutAfter !== undefined && sent + out.length >= fault.cutAfter) {
              res.write(out.subarray(0, fault.cutAfter - sent));
              sent = fault.cutAfter;
              up.destroy();
              // Let the bytes reach the client before the connection drops.
              setTimeout(() => {
                res.socket?.destroy();
                fault.onCut?.();
              }, 20);
              return;
            }
            sent += out.length;
            res.write(out);
          });
          up.on('end', () => res.end());
        },
      );
      upstream.on('error', () => res.socket?.destroy());
      req.pipe(upstream);
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        if (typeof addr === 'object' && addr) this.portNo = addr.port;
        resolve();
      }),
    );
  }
}
