import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, request } from 'undici';
import { EngineError } from '../errors.js';
import { registryHost } from './reference.js';

/**
 * How berthd reaches a registry: scheme and TLS, per host. Loopback registries may speak plain
 * HTTP (dockerd treats 127.0.0.0/8 as insecure by default); everything else is HTTPS, trusting
 * the system roots plus `<certsDir>/<host:port>/*.crt`, with a client pair from `*.cert`/`*.key`
 * (dockerd's certs.d layout).
 */
export interface Endpoint {
  /** `https://registry-1.docker.io` or `http://127.0.0.1:5000`. */
  base: string;
  dispatcher: Dispatcher;
}

export type HttpResponse = Dispatcher.ResponseData;

export interface SendOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  signal?: AbortSignal;
  dispatcher: Dispatcher;
}

/** A registry could not be reached or the connection broke: worth a retry, unlike an HTTP answer. */
export class NetworkError extends EngineError {
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

/** One HTTP exchange; connection failures become EngineErrors naming the URL (never headers). */
export async function send(url: string, opts: SendOptions): Promise<HttpResponse> {
  const method = opts.method ?? 'GET';
  try {
    return await request(url, {
      method,
      headers: opts.headers,
      body: opts.body,
      signal: opts.signal,
      dispatcher: opts.dispatcher,
      // Blob bodies can take long between chunks on a slow link; only the connection may time out.
      bodyTimeout: 0,
      headersTimeout: 60_000,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new NetworkError(`${method} "${redactUrl(url)}": ${(err as Error).message}${cause ? `: ${cause}` : ''}`);
  }
}

/** Token realms may carry query parameters; keep only what identifies the server in messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function headerList(res: HttpResponse, name: string): string[] {
  const value = res.headers[name.toLowerCase()];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Drain and drop a body so the connection goes back to the pool. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 1 << 20 });
  } catch {
    res.body.destroy();
  }
}

export function isLoopbackHost(host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (hostname.startsWith('[')) hostname = hostname.slice(1, -1);
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (isIP(hostname) === 4) return hostname.startsWith('127.');
  if (isIP(hostname) === 6) return hostname === '::1';
  return false;
}

interface TlsFiles {
  ca: string[];
  cert?: string;
  key?: string;
}

async function readCertsDir(dir: string | undefined, host: string): Promise<TlsFiles> {
  const out: TlsFiles = { ca: [] };
  if (dir === undefined) return out;
  const hostDir = join(dir, host);
  let names: string[];
  try {
    names = (await readdir(hostDir)).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.endsWith('.crt')) out.ca.push(await readFile(join(hostDir, name), 'utf8'));
    else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(keyName))
        throw new EngineError('INTERNAL', `missing key ${keyName} for client certificate ${name} in ${hostDir}`);
      out.cert = await readFile(join(hostDir, name), 'utf8');
      out.key = await readFile(join(hostDir, keyName), 'utf8');
    }
  }
  return out;
}

const PROBE_TIMEOUT_MS = 5_000;

/** Endpoints by registry domain, resolved once and kept with their connection pools. */
export class Endpoints {
  private readonly resolved = new Map<string, Endpoint>();
  private readonly agents: Agent[] = [];
  private plainAgent: Agent | undefined;

  constructor(private readonly certsDir: string | undefined) {}

  /** Endpoint of the registry a reference's domain names. */
  async forDomain(domain: string, signal?: AbortSignal): Promise<Endpoint> {
    const host = registryHost(domain);
    const cached = this.resolved.get(host);
    if (cached) return cached;
    const tls = await readCertsDir(this.certsDir, host);
    let endpoint: Endpoint;
    if (isLoopbackHost(host)) {
      // Like dockerd's insecure registries: HTTPS without verification (unless certs.d gives a
      // CA), else plain HTTP.
      const httpsAgent = this.agent(tls, tls.ca.length > 0);
      const https: Endpoint = { base: `https://${host}`, dispatcher: httpsAgent };
      const speaksTls = await this.probe(https, signal, tls.ca.length > 0);
      if (speaksTls === 'refused') return { base: `http://${host}`, dispatcher: this.plain() };
      endpoint = speaksTls ? https : { base: `http://${host}`, dispatcher: this.plain() };
    } else {
      endpoint = { base: `https://${host}`, dispatcher: this.agent(tls, true) };
    }
    this.resolved.set(host, endpoint);
    return endpoint;
  }

  /** A dispatcher for an arbitrary URL (token realms): its host's certs.d applies. */
  async forUrl(url: string): Promise<Dispatcher> {
    const u = new URL(url);
    if (u.protocol === 'http:') return this.plain();
    const tls = await readCertsDir(this.certsDir, u.host);
    return this.agent(tls, !isLoopbackHost(u.host) || tls.ca.length > 0);
  }

  async close(): Promise<void> {
    const all = [...this.agents, ...(this.plainAgent ? [this.plainAgent] : [])];
    this.agents.length = 0;
    this.plainAgent = undefined;
    this.resolved.clear();
    await Promise.all(all.map((a) => a.destroy().catch(() => undefined)));
  }

  private plain(): Agent {
    this.plainAgent ??= new Agent({ keepAliveTimeout: 30_000 });
    return this.plainAgent;
  }

  private agent(tls: TlsFiles, verify: boolean): Agent {
    const agent = new Agent({
      keepAliveTimeout: 30_000,
      connect: {
        rejectUnauthorized: verify,
        ...(tls.ca.length > 0 ? { ca: [...rootCertificates, ...tls.ca] } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
      },
    });
    this.agents.push(agent);
    return agent;
  }

  /**
   * true: speaks TLS; false: something answered but not TLS; 'refused': nothing listens. With a
   * certs.d CA (`verifying`), a certificate that does not verify is an error, not a reason to
   * fall back to plain HTTP.
   */
  private async probe(
    endpoint: Endpoint,
    signal: AbortSignal | undefined,
    verifying: boolean,
  ): Promise<boolean | 'refused'> {
    const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    try {
      const res = await request(`${endpoint.base}/v2/`, {
        dispatcher: endpoint.dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await discard(res);
      return true;
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const code = (err as { code?: string }).code ?? cause?.code ?? '';
      if (code === 'ECONNREFUSED') return 'refused';
      if (verifying && /CERT|SIGNATURE|ALTNAME|ISSUER|SELF_SIGNED/.test(code)) {
        throw new NetworkError(`TLS handshake with ${endpoint.base}: ${cause?.message ?? (err as Error).message}`);
      }
      return false;
    }
  }
}
