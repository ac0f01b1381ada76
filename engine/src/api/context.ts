import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { EngineError } from '../errors.js';

/** Everything a route handler gets: the request, parsed params/query, and response helpers. */
export class RequestContext {
  readonly query: URLSearchParams;
  /** The negotiated API version from the `/v1.xx/` prefix, or the server's own. */
  readonly apiVersion: string;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse | undefined,
    readonly params: Record<string, string>,
    url: URL,
    apiVersion: string,
    /** Present for requests that arrived with `Upgrade: tcp` (docker CLI attach/exec). */
    readonly upgradeSocket?: Duplex,
    readonly upgradeHead?: Buffer,
  ) {
    this.query = url.searchParams;
    this.apiVersion = apiVersion;
  }

  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new EngineError('BAD_PARAMETER', `missing path parameter ${name}`);
    return v;
  }

  /** Docker's boolean query parameters: "1", "true", "True" are true; absent or "0"/"false" false. */
  bool(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return fallback;
    return !['0', 'false', 'False', 'FALSE'].includes(v);
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new EngineError('BAD_PARAMETER', `invalid value for ${name}: ${v}`);
    return n;
  }

  str(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** Parse Docker's `filters` query: `{"key":["v"]}` or the legacy `{"key":{"v":true}}`. */
  filters(): Record<string, string[]> {
    const raw = this.query.get('filters');
    if (!raw) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new EngineError('BAD_PARAMETER', `invalid filters: ${raw}`);
    }
    if (!parsed || typeof parsed !== 'object') throw new EngineError('BAD_PARAMETER', 'invalid filters');
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (v && typeof v === 'object') out[k] = Object.keys(v);
      else throw new EngineError('BAD_PARAMETER', `invalid filter value for ${k}`);
    }
    return out;
  }

  /** Read the whole body (bounded) as a Buffer. */
  async body(limit = 16 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new EngineError('BAD_PARAMETER', 'request body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /** Parse a JSON body; an empty body gives `fallback`. Malformed JSON is a 400. */
  async json<T>(fallback?: T): Promise<T> {
    const buf = await this.body();
    if (buf.length === 0) {
      if (fallback !== undefined) return fallback;
      throw new EngineError('BAD_PARAMETER', 'request body is required');
    }
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (err) {
      throw new EngineError('BAD_PARAMETER', `invalid JSON: ${(err as Error).message}`);
    }
  }

  private response(): ServerResponse {
    if (!this.res) throw new EngineError('INTERNAL', 'no response for an upgraded request');
    return this.res;
  }

  send(status: number, value?: unknown): void {
    const res = this.response();
    if (value === undefined) {
      res.writeHead(status).end();
      return;
    }
    const body = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Start a streamed response (JSON lines, raw stream, tar). */
  stream(status: number, contentType: string, headers: Record<string, string> = {}): ServerResponse {
    const res = this.response();
    res.writeHead(status, { 'Content-Type': contentType, ...headers });
    res.flushHeaders();
    return res;
  }

  /**
   * Take over the connection for a raw stream (attach, exec start). With `Upgrade: tcp` (the
   * docker CLI, dockerode's hijack) we answer 101 as dockerd does and the socket carries both
   * directions; otherwise the stream is a plain 200 response body and there is no input.
   */
  hijack(contentType: string): { output: Writable; input: Duplex | null } {
    const socket = this.upgradeSocket;
    if (!socket) {
      const res = this.stream(200, contentType);
      return { output: res, input: null };
    }
    // A client gone mid-stream makes writes fail (EPIPE): that must not crash berthd; the
    // socket's 'close' is what tells the session the client is gone.
    socket.on('error', () => {});
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    if (this.upgradeHead && this.upgradeHead.length > 0) socket.unshift(this.upgradeHead);
    return { output: socket, input: socket };
  }
}
