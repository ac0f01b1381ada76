import { Readable } from 'node:stream';
import { EngineError, isEngineError } from '../errors.js';
import type { ImageRecord, ProgressFn } from '../images/types.js';
import type { ImageConfig, ImageManifest, OciDescriptor } from '../types/oci.js';
import { decodeRegistryAuth, type RegistryAuth } from './auth.js';
import { RegistryClient } from './client.js';
import type { DistributionContext } from './context.js';
import { allOrAbort, delay } from './limiter.js';
import { parseManifest } from './manifest.js';
import {
  formatPlatform,
  hostPlatform,
  type Platform,
  parsePlatform,
  platformMatches,
  selectManifest,
} from './platform.js';
import { LayerProgress, pullUnpackProgress, shortId, statusEvent } from './progress.js';
import { familiarString, parseRemoteReference, type RemoteReference } from './reference.js';
import { DownloadTee } from './tee.js';
import { NetworkError } from './transport.js';

export interface PullOptions {
  /** `os/arch[/variant]`; the host's platform when absent. */
  platform?: string;
  auth?: RegistryAuth;
  /** The raw `X-Registry-Auth` header, used when `auth` is not given. */
  registryAuth?: string;
  signal?: AbortSignal;
}

/** Tries per blob: a broken connection is resumed with a Range request after a short pause. */
const BLOB_ATTEMPTS = 4;
const RETRY_BASE_MS = 500;

/** The ingest ref of a blob being pulled: stable, so an interrupted pull resumes from its bytes. */
export function pullIngestRef(digest: string): string {
  return `pull-${digest}`;
}

/**
 * Pull an image: resolve the manifest (choosing the platform from an index), fetch config and
 * layers into the content store (bounded parallelism, digest-verified as they stream, resumed
 * where a previous pull stopped), then hand the manifest to the image store to unpack and tag.
 * Until that last step nothing is registered, so a failed pull leaves no half image; the blobs
 * it completed stay in the content store for the next attempt.
 */
export async function pull(
  ctx: DistributionContext,
  refString: string,
  opts: PullOptions,
  progress: ProgressFn,
): Promise<ImageRecord> {
  const parsed = parseRemoteReference(refString);
  const ref: RemoteReference =
    parsed.tag === undefined && parsed.digest === undefined ? { ...parsed, tag: 'latest' } : parsed;
  const wantedExplicit = parsePlatform(opts.platform);
  const wanted = wantedExplicit ?? hostPlatform();
  const signal = opts.signal;
  const client = await RegistryClient.connect(
    ctx.endpoints,
    ref.domain,
    opts.auth ?? decodeRegistryAuth(opts.registryAuth),
    signal,
  );
  const reference = ref.digest ?? ref.tag ?? 'latest';

  const top = await client.manifest(ref.path, reference, signal).catch((err: unknown) => {
    // dockerd answers a refused pull with 404 "pull access denied" rather than 401: the docker
    // CLI (28.x) meets a 401 from /images/create with a login prompt, which hangs without a TTY.
    if (isEngineError(err, 'UNAUTHORIZED') || isEngineError(err, 'FORBIDDEN')) {
      throw new EngineError(
        'NO_SUCH_IMAGE',
        `pull access denied for ${ref.familiarName}, repository does not exist or may require 'docker login': ${err.message}`,
      );
    }
    throw err;
  });
  const topParsed = parseManifest(top.body, top.mediaType, familiarString(ref));
  progress({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });

  let manifestDigest = top.digest;
  let manifest: ImageManifest;
  if (topParsed.kind === 'index') {
    const chosen = selectManifest(topParsed.index, wanted);
    if (!chosen) {
      throw new EngineError(
        'NO_SUCH_IMAGE',
        `${familiarString(ref)}: no matching manifest for ${formatPlatform(wanted)} in the manifest list entries`,
      );
    }
    await storeBuffer(ctx, top.digest, top.body);
    const platformManifest = await client.manifest(ref.path, chosen.digest, signal);
    const inner = parseManifest(platformManifest.body, platformManifest.mediaType, `${ref.name}@${chosen.digest}`);
    if (inner.kind !== 'manifest')
      throw new EngineError('INTERNAL', `${ref.name}@${chosen.digest}: an index inside an index is not supported`);
    manifest = inner.manifest;
    manifestDigest = platformManifest.digest;
    await storeBuffer(ctx, platformManifest.digest, platformManifest.body);
  } else {
    manifest = topParsed.manifest;
    await storeBuffer(ctx, top.digest, top.body);
  }

  const existing = ref.tag !== undefined ? await findImage(ctx, `${ref.name}:${ref.tag}`) : undefined;
  let downloaded = await fetchConfig(ctx, client, ref, manifest.config, signal);
  const config = JSON.parse((await ctx.content.readBuffer(manifest.config.digest)).toString('utf8')) as ImageConfig;
  if (wantedExplicit && topParsed.kind === 'manifest' && !platformMatches(wantedExplicit, platformOf(config))) {
    throw new EngineError(
      'NO_SUCH_IMAGE',
      `${familiarString(ref)}: image does not match the specified platform: wanted ${formatPlatform(wantedExplicit)}, actual: ${formatPlatform(platformOf(config))}`,
    );
  }

  const diffIds = config.rootfs?.diff_ids ?? [];
  if (await fetchLayers(ctx, client, ref, manifest.layers, diffIds, progress, signal)) downloaded = true;

  const record = await ctx.images.createFromManifest(
    manifestDigest,
    {
      ...(ref.tag !== undefined ? { reference: `${ref.name}:${ref.tag}` } : {}),
      repoDigest: `${ref.name}@${top.digest}`,
    },
    pullUnpackProgress(progress),
  );
  await ctx.sources.record(ref.domain, ref.path, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  progress(statusEvent(`Digest: ${top.digest}`));
  const upToDate = !downloaded && existing?.manifestDigest === manifestDigest;
  progress(
    statusEvent(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}`),
  );
  ctx.log?.info({ ref: familiarString(ref), digest: top.digest, platform: formatPlatform(wanted) }, 'image pulled');
  return record;
}

function platformOf(config: ImageConfig): Platform {
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}

async function findImage(ctx: DistributionContext, ref: string): Promise<ImageRecord | undefined> {
  try {
    return await ctx.images.get(ref);
  } catch (err) {
    if (isEngineError(err, 'NO_SUCH_IMAGE')) return undefined;
    throw err;
  }
}

async function storeBuffer(ctx: DistributionContext, digest: string, body: Buffer): Promise<void> {
  if (await ctx.content.has(digest)) return;
  await ctx.content.ingest(Readable.from([body]), { expectedDigest: digest, expectedSize: body.length });
}

async function fetchConfig(
  ctx: DistributionContext,
  client: RegistryClient,
  ref: RemoteReference,
  desc: OciDescriptor,
  signal?: AbortSignal,
): Promise<boolean> {
  return ensureBlob(ctx, desc.digest, () => downloadBlob(ctx, client, ref.path, desc, signal));
}

/** Download the layers the store lacks, `ctx.concurrency` at a time. True when any was downloaded. */
async function fetchLayers(
  ctx: DistributionContext,
  client: RegistryClient,
  ref: RemoteReference,
  layers: OciDescriptor[],
  diffIds: string[],
  progress: ProgressFn,
  signal?: AbortSignal,
): Promise<boolean> {
  const unique = [...new Map(layers.map((l) => [l.digest, l])).values()];
  const missing: OciDescriptor[] = [];
  for (const layer of unique) {
    if (await ctx.content.has(layer.digest)) progress(statusEvent('Already exists', shortId(layer.digest)));
    else {
      missing.push(layer);
      progress(statusEvent('Pulling fs layer', shortId(layer.digest)));
    }
  }
  if (missing.length === 0) return false;
  // One failed layer stops the others: their partial bytes stay on disk for the next pull.
  await allOrAbort(
    missing,
    ctx.concurrency,
    async (layer, linked) => {
      const id = shortId(layer.digest);
      const bar = new LayerProgress(progress, id, 'Downloading', layer.size);
      try {
        await ensureBlob(ctx, layer.digest, async () => {
          const tee = await startUnpack(ctx, layers, diffIds, layer);
          try {
            await downloadBlob(ctx, client, ref.path, layer, linked, {
              onBytes: (n) => bar.update(n),
              onEnd: () => {
                bar.stop();
                progress(statusEvent('Verifying Checksum', id));
              },
              ...(tee ? { tee } : {}),
            });
          } catch (err) {
            tee?.abandon(err as Error); // the extraction must not wait for bytes that never come
            throw err;
          }
        });
      } finally {
        bar.stop();
      }
      progress(statusEvent('Download complete', id));
    },
    { signal, onQueued: (layer) => progress(statusEvent('Waiting', shortId(layer.digest))) },
  );
  return true;
}

/**
 * Run a download unless the blob is there already; a second pull of a blob already being
 * downloaded waits for that download instead of fighting over its ingest ref.
 */
async function ensureBlob(ctx: DistributionContext, digest: string, download: () => Promise<void>): Promise<boolean> {
  const running = ctx.inflight.get(digest);
  if (running) {
    await running.catch(() => undefined);
    return ensureBlob(ctx, digest, download);
  }
  const attempt = (async () => {
    if (await ctx.content.has(digest)) return false;
    await download();
    return true;
  })();
  ctx.inflight.set(digest, attempt);
  try {
    return await attempt;
  } finally {
    if (ctx.inflight.get(digest) === attempt) ctx.inflight.delete(digest);
  }
}

interface DownloadHooks {
  onBytes?: (current: number) => void;
  onEnd?: () => void;
  /** The layer's extraction, fed the same bytes while they download (first attempt only). */
  tee?: DownloadTee;
}

/** Unpack `layer` while it downloads when the image store can start that now (see Unpacker). */
async function startUnpack(
  ctx: DistributionContext,
  layers: OciDescriptor[],
  diffIds: string[],
  layer: OciDescriptor,
): Promise<DownloadTee | undefined> {
  const i = layers.findIndex((l) => l.digest === layer.digest);
  if (!ctx.images.unpackWhileDownloading || diffIds.length !== layers.length || i < 0) return undefined;
  const tee = new DownloadTee();
  const started = await ctx.images.unpackWhileDownloading(diffIds, i, tee.stream, (ok) => {
    if (!ok) tee.cutOff();
  });
  return started ? tee : undefined;
}

/** Stream one blob into the content store, resuming from the ingest's offset with Range. */
async function downloadBlob(
  ctx: DistributionContext,
  client: RegistryClient,
  repo: string,
  desc: OciDescriptor,
  signal: AbortSignal | undefined,
  hooks: DownloadHooks = {},
): Promise<void> {
  const ref = pullIngestRef(desc.digest);
  const opts = { ref, expectedDigest: desc.digest, expectedSize: desc.size };
  for (let attempt = 1; ; attempt++) {
    try {
      const offset = await ctx.content.ingestOffset(ref);
      const { body, start } = await client.blob(repo, desc.digest, offset < desc.size ? offset : 0, signal);
      // An extraction needs the blob from its first byte: a resumed download leaves it behind.
      const tee = start === 0 && attempt === 1 ? hooks.tee : undefined;
      if (!tee) hooks.tee?.abandon(new Error('download resumed'));
      let current = start;
      hooks.onBytes?.(current);
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          current += chunk.length;
          hooks.onBytes?.(current);
          await tee?.write(chunk);
          yield chunk;
        }
        hooks.onEnd?.();
      }
      try {
        if (start > 0) await ctx.content.resume(ref, counted(), opts);
        else await ctx.content.ingest(counted(), opts);
      } catch (err) {
        tee?.abandon(err as Error);
        throw err;
      }
      tee?.end();
      return;
    } catch (err) {
      // Registry answers and bad bytes are final; broken connections are retried from the offset.
      const transient = err instanceof NetworkError || !isEngineError(err);
      if (signal?.aborted || !transient || attempt >= BLOB_ATTEMPTS) throw err;
      ctx.log?.warn(
        { digest: desc.digest, attempt, err: (err as Error).message },
        'blob download interrupted; retrying',
      );
      await delay(RETRY_BASE_MS * 2 ** (attempt - 1), signal);
    }
  }
}
