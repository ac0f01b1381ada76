import type { ContentStore } from '../content/types.js';
import { EngineError } from '../errors.js';
import type { ImageRecord, ImageService, ProgressFn } from '../images/types.js';
import type { Logger } from '../log.js';
import { decodeRegistryAuth, normalizeAuth, type RegistryAuth } from './auth.js';
import { RegistryClient } from './client.js';
import type { DistributionContext } from './context.js';
import { type PullOptions, pull } from './pull.js';
import { type PushOptions, type PushResult, push } from './push.js';
import { loginDomain } from './reference.js';
import { BlobSources } from './sources.js';
import { discard, Endpoints } from './transport.js';

export type { RegistryAuth } from './auth.js';
export { errorEvent } from './progress.js';
export type { PullOptions } from './pull.js';
export type { PushOptions, PushResult } from './push.js';

export interface DistributionOptions {
  content: ContentStore;
  images: ImageService;
  log?: Logger;
  /** dockerd's certs.d: `<certsDir>/<host:port>/{ca.crt,*.crt,client.cert,client.key}`. */
  certsDir?: string;
  /** Where to remember which repositories blobs came from (for cross-repository mounts). */
  stateDir?: string;
  /** Parallel layer transfers per pull or push (dockerd: 3 down, 5 up). */
  concurrency?: number;
}

export type LoginResult = {
  Status: 'Login Succeeded';
  IdentityToken?: string;
};

/** The daemon's `RegistryOps` shape (engine/src/daemon/images.ts), without importing upward. */
export interface RegistryOpsAdapter {
  pull(
    ref: string,
    opts: { platform?: string; registryAuth?: string; signal?: AbortSignal },
    progress: ProgressFn,
  ): Promise<void>;
  push(ref: string, opts: { registryAuth?: string; signal?: AbortSignal }, progress: ProgressFn): Promise<void>;
  login(auth: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * Registry pull, push and login for the engine (`POST /images/create`, `POST /images/{name}/push`,
 * `POST /auth`), speaking the OCI Distribution API to any Docker-compatible registry.
 */
export class Distribution {
  private readonly ctx: DistributionContext;

  constructor(opts: DistributionOptions) {
    this.ctx = {
      content: opts.content,
      images: opts.images,
      log: opts.log,
      endpoints: new Endpoints(opts.certsDir),
      sources: new BlobSources(opts.stateDir),
      inflight: new Map(),
      concurrency: opts.concurrency ?? 3,
    };
  }

  /** `docker pull`: progress events as dockerd streams them; resolves with the image registered. */
  pull(ref: string, opts: PullOptions, progress: ProgressFn): Promise<ImageRecord> {
    return pull(this.ctx, ref, opts, progress);
  }

  /** `docker push`: one result per tag pushed (the `aux` of the progress stream). */
  push(ref: string, opts: PushOptions, progress: ProgressFn): Promise<PushResult[]> {
    return push(this.ctx, ref, opts, progress);
  }

  /**
   * `docker login`: check the credentials against the registry — Basic by a `/v2/` request, Bearer
   * by fetching a token (asking for an offline refresh token, returned as IdentityToken) and
   * using it on `/v2/`. Throws UNAUTHORIZED when the registry refuses them.
   */
  async checkLogin(auth: RegistryAuth, signal?: AbortSignal): Promise<LoginResult> {
    const domain = loginDomain(auth.serveraddress);
    const client = await RegistryClient.connect(this.ctx.endpoints, domain, auth, signal);
    const scheme = client.authorizer.scheme;
    if (scheme === undefined) return { Status: 'Login Succeeded' };
    if (!auth.username && !auth.identitytoken && !auth.registrytoken) {
      throw new EngineError('UNAUTHORIZED', 'unauthorized: no credentials given');
    }
    // Fetches (and caches) the login token, with `offline_token=true` for an IdentityToken.
    await client.authorizer.authorization([], signal, true);
    const res = await client.call('/v2/', { scopes: [], signal });
    await client.expect(res, [200], 'login');
    await discard(res);
    const identityToken = client.authorizer.refreshToken;
    this.ctx.log?.info({ registry: domain, user: auth.username }, 'registry login checked');
    return { Status: 'Login Succeeded', ...(identityToken ? { IdentityToken: identityToken } : {}) };
  }

  /** `POST /auth` with the request body as the CLI sends it ({username, password, serveraddress}). */
  login(body: unknown, signal?: AbortSignal): Promise<LoginResult> {
    return this.checkLogin(normalizeAuth(body) ?? {}, signal);
  }

  /** This Distribution as the daemon's RegistryOps (`Daemon.open({ registry: () => d.registryOps() })`). */
  registryOps(): RegistryOpsAdapter {
    return {
      pull: async (ref, opts, progress) => {
        await this.pull(ref, opts, progress);
      },
      push: async (ref, opts, progress) => {
        await this.push(ref, opts, progress);
      },
      login: (auth) => this.login(auth),
    };
  }

  /** Decoder for the `X-Registry-Auth` header (base64url JSON); undefined when absent. */
  decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
    return decodeRegistryAuth(header);
  }

  /** Close connection pools (daemon shutdown, tests). */
  async close(): Promise<void> {
    await this.ctx.endpoints.close();
  }
}

export { decodeRegistryAuth };
