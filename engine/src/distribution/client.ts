import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isDigest, sha256Digest } from '../content/digest.js';
import { EngineError } from '../errors.js';
import { MediaTypes } from '../types/oci.js';
import { Authorizer, parseChallenges, type RegistryAuth, registryErrorMessage } from './auth.js';
import { discard, type Endpoint, type Endpoints, type HttpResponse, header, send } from './transport.js';

/** What a pull accepts, most specific last (the registry picks; schema1 is not offered). */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
].join(', ');

/** containerd's limit: manifests are small JSON; anything bigger is not one. */
const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_REDIRECTS = 5;

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

export interface BlobResponse {
  body: Readable;
  /** Offset of the first byte of `body`: the requested offset when the registry honoured Range, else 0. */
  start: number;
}

export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

interface CallOptions {
  method?: Dispatcher.HttpMethod;
  scopes: string[];
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal | undefined;
}

/**
 * The Distribution API (OCI distribution-spec) for one registry and one set of credentials:
 * manifests, blobs, uploads and cross-repository mounts. Each call carries the scopes it needs,
 * so a bearer token is fetched (and cached) per scope set, and a 401 is answered once by
 * re-authorizing with the challenge it carried.
 */
export class RegistryClient {
  private constructor(
    readonly domain: string,
    private readonly endpoint: Endpoint,
    private readonly endpoints: Endpoints,
    readonly authorizer: Authorizer,
  ) {}

  /** Resolve the endpoint and ping `/v2/` to learn the auth scheme, as dockerd does per operation. */
  static async connect(
    endpoints: Endpoints,
    domain: string,
    creds: RegistryAuth | undefined,
    signal?: AbortSignal,
  ): Promise<RegistryClient> {
    const endpoint = await endpoints.forDomain(domain, signal);
    const authorizer = new Authorizer(endpoints, creds);
    const res = await send(`${endpoint.base}/v2/`, { dispatcher: endpoint.dispatcher, signal });
    const challenges = parseChallenges(header(res, 'www-authenticate'));
    await discard(res);
    if (res.statusCode === 401) authorizer.setChallenges(challenges);
    else if (res.statusCode !== 200) {
      throw new EngineError(
        'INTERNAL',
        `${endpoint.base} does not speak the registry v2 API (GET /v2/ answered ${res.statusCode})`,
      );
    }
    return new RegistryClient(domain, endpoint, endpoints, authorizer);
  }

  get base(): string {
    return this.endpoint.base;
  }

  async manifest(repo: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.call(`/v2/${repo}/manifests/${reference}`, {
      scopes: [pullScope(repo)],
      headers: { accept: MANIFEST_ACCEPT },
      signal,
    });
    if (res.statusCode === 404) {
      await discard(res);
      throw new EngineError(
        'NO_SUCH_IMAGE',
        `manifest for ${this.domain}/${repo}:${reference} not found: manifest unknown`,
      );
    }
    await this.expect(res, [200], `fetching manifest ${repo}:${reference}`);
    const length = Number(header(res, 'content-length') ?? '0');
    if (length > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new EngineError('INTERNAL', `manifest ${repo}:${reference} is ${length} bytes: too large`);
    }
    const body = Buffer.from(await res.body.arrayBuffer());
    if (body.length > MAX_MANIFEST_BYTES)
      throw new EngineError('INTERNAL', `manifest ${repo}:${reference} is too large`);
    const digest = sha256Digest(body);
    if (isDigest(reference) && digest !== reference) throw new EngineError('DIGEST_MISMATCH', reference, digest);
    let mediaType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
    try {
      const declared = (JSON.parse(body.toString('utf8')) as { mediaType?: unknown }).mediaType;
      if (typeof declared === 'string') mediaType = declared;
    } catch {
      throw new EngineError('INTERNAL', `manifest ${repo}:${reference} is not JSON`);
    }
    return { digest, mediaType, body };
  }

  async putManifest(
    repo: string,
    reference: string,
    mediaType: string,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<string> {
    const res = await this.call(`/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      scopes: [pushScope(repo)],
      headers: { 'content-type': mediaType },
      body,
      signal,
    });
    await this.expect(res, [201, 200], `pushing manifest ${repo}:${reference}`);
    await discard(res);
    return sha256Digest(body);
  }

  /** Whether the repository has the blob (HEAD). */
  async hasBlob(repo: string, digest: string, scopes: string[], signal?: AbortSignal): Promise<boolean> {
    const res = await this.call(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD', scopes, signal });
    await this.expect(res, [200, 404], `checking blob ${digest} in ${repo}`);
    await discard(res);
    return res.statusCode === 200;
  }

  /** GET a blob from `offset` (Range), following the redirects registries use for blob storage. */
  async blob(repo: string, digest: string, offset: number, signal?: AbortSignal): Promise<BlobResponse> {
    const ranged = offset > 0;
    let res = await this.call(`/v2/${repo}/blobs/${digest}`, {
      scopes: [pullScope(repo)],
      headers: ranged ? { range: `bytes=${offset}-` } : {},
      signal,
    });
    let url = `${this.endpoint.base}/v2/${repo}/blobs/${digest}`;
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304; hops++) {
      const location = header(res, 'location');
      await discard(res);
      if (!location || hops >= MAX_REDIRECTS)
        throw new EngineError('INTERNAL', `blob ${digest}: bad redirect from registry`);
      url = new URL(location, url).href;
      if (new URL(url).origin === new URL(this.endpoint.base).origin) {
        res = await this.call(url, {
          scopes: [pullScope(repo)],
          headers: ranged ? { range: `bytes=${offset}-` } : {},
          signal,
        });
        continue;
      }
      // Credentials stay with the registry: storage backends get pre-signed URLs.
      res = await send(url, {
        headers: ranged ? { range: `bytes=${offset}-` } : {},
        dispatcher: await this.endpoints.forUrl(url),
        signal,
      });
    }
    if (res.statusCode === 416) {
      await discard(res);
      return this.blob(repo, digest, 0, signal);
    }
    if (res.statusCode === 404) {
      await discard(res);
      throw new EngineError('INTERNAL', `blob unknown: ${repo}@${digest} is not in the registry`);
    }
    await this.expect(res, [200, 206], `fetching blob ${digest}`);
    if (res.statusCode === 206) {
      const range = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
      if (!range || Number(range[1]) !== offset) {
        res.body.destroy();
        return this.blob(repo, digest, 0, signal);
      }
      return { body: res.body, start: offset };
    }
    return { body: res.body, start: 0 };
  }

  /** Try a cross-repository mount; undefined when mounted, else the upload the registry started instead. */
  async mount(repo: string, digest: string, from: string, signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.call(
      `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      {
        method: 'POST',
        scopes: [pushScope(repo), pullScope(from)],
        signal,
      },
    );
    await this.expect(res, [201, 202], `mounting ${digest} from ${from} into ${repo}`);
    await discard(res);
    return res.statusCode === 201 ? undefined : this.location(res);
  }

  async startUpload(repo: string, signal?: AbortSignal): Promise<string> {
    const res = await this.call(`/v2/${repo}/blobs/uploads/`, { method: 'POST', scopes: [pushScope(repo)], signal });
    await this.expect(res, [202], `starting an upload to ${repo}`);
    await discard(res);
    return this.location(res);
  }

  /** Stream a blob into an upload (PATCH) and commit it under its digest (PUT ?digest=). */
  async upload(
    repo: string,
    location: string,
    body: Readable | AsyncIterable<Uint8Array>,
    size: number,
    digest: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const patched = await this.call(location, {
      method: 'PATCH',
      scopes: [pushScope(repo)],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: body instanceof Readable ? body : Readable.from(body, { objectMode: false }),
      signal,
    });
    await this.expect(patched, [202, 204], `uploading blob ${digest}`);
    await discard(patched);
    const commit = new URL(this.location(patched), this.endpoint.base);
    commit.searchParams.set('digest', digest);
    const put = await this.call(commit.href, {
      method: 'PUT',
      scopes: [pushScope(repo)],
      headers: { 'content-length': '0' },
      signal,
    });
    await this.expect(put, [201, 204], `committing blob ${digest}`);
    await discard(put);
  }

  /** A Location header resolved against the endpoint (registries send it relative or absolute). */
  private location(res: HttpResponse): string {
    const loc = header(res, 'location');
    if (!loc) throw new EngineError('INTERNAL', 'registry answered an upload without a Location');
    return new URL(loc, this.endpoint.base).href;
  }

  /** A request with authorization; a 401 is retried once with a token for the challenge's scope. */
  async call(pathOrUrl: string, opts: CallOptions): Promise<HttpResponse> {
    const url = pathOrUrl.startsWith('/') ? `${this.endpoint.base}${pathOrUrl}` : pathOrUrl;
    const replayable = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) || opts.body === undefined;
    let scopes = opts.scopes;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...opts.headers };
      const authorization = await this.authorizer.authorization(scopes, opts.signal);
      if (authorization) headers.authorization = authorization;
      const res = await send(url, {
        method: opts.method ?? 'GET',
        headers,
        body: opts.body,
        dispatcher: this.endpoint.dispatcher,
        signal: opts.signal,
      });
      if (res.statusCode !== 401 || attempt > 0 || !replayable) return res;
      const challenges = parseChallenges(header(res, 'www-authenticate'));
      const scope = challenges.find((c) => c.scheme === 'bearer')?.params.scope;
      await discard(res);
      this.authorizer.invalidate(scopes, challenges);
      if (scope) scopes = [...new Set([...scopes, ...scope.split(' ')])];
    }
  }

  /** Turn an unexpected status into Docker's message (`denied: requested access…`). */
  async expect(res: HttpResponse, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.statusCode)) return;
    const status = res.statusCode;
    if (status === 401)
      throw new EngineError('UNAUTHORIZED', await registryErrorMessage(res, 'unauthorized: authentication required'));
    if (status === 403)
      throw new EngineError(
        'FORBIDDEN',
        await registryErrorMessage(res, 'denied: requested access to the resource is denied'),
      );
    const msg = await registryErrorMessage(res, `registry answered ${status}`);
    throw new EngineError('INTERNAL', `${what}: ${msg}`);
  }
}
