import { EngineError } from '../errors.js';
import type { ProgressFn } from '../images/types.js';
import type { ImageManifest, OciDescriptor } from '../types/oci.js';
import { MediaTypes } from '../types/oci.js';
import { decodeRegistryAuth, type RegistryAuth } from './auth.js';
import { pushScope, RegistryClient } from './client.js';
import type { DistributionContext } from './context.js';
import { allOrAbort } from './limiter.js';
import { LayerProgress, shortId, statusEvent } from './progress.js';
import { parseRemoteReference, type RemoteReference } from './reference.js';

export interface PushOptions {
  auth?: RegistryAuth;
  /** The raw `X-Registry-Auth` header, used when `auth` is not given. */
  registryAuth?: string;
  signal?: AbortSignal;
}

export interface PushResult {
  Tag: string;
  Digest: string;
  Size: number;
}

/**
 * Push `name:tag` (or, with no tag, every local tag of `name`, as dockerd does): blobs the
 * registry already has are skipped (HEAD), blobs known to live in another repository of the same
 * registry are mounted from there, the rest are uploaded; then the manifest is put under the tag.
 * The manifest bytes pushed are the stored ones, so the digest is the local image's.
 */
export async function push(
  ctx: DistributionContext,
  refString: string,
  opts: PushOptions,
  progress: ProgressFn,
): Promise<PushResult[]> {
  const ref = parseRemoteReference(refString);
  if (ref.digest !== undefined) throw new EngineError('BAD_PARAMETER', `cannot push a digest reference: ${refString}`);
  const tags = ref.tag !== undefined ? [ref.tag] : await localTags(ctx, ref);
  if (tags.length === 0)
    throw new EngineError('NO_SUCH_IMAGE', `An image does not exist locally with the tag: ${ref.familiarName}`);
  // Resolve the images before talking to the registry: a missing tag fails fast.
  const images = await Promise.all(
    tags.map(async (tag) => ({ tag, image: await ctx.images.get(`${ref.name}:${tag}`) })),
  );
  progress(statusEvent(`The push refers to repository [${ref.name}]`));
  const client = await RegistryClient.connect(
    ctx.endpoints,
    ref.domain,
    opts.auth ?? decodeRegistryAuth(opts.registryAuth),
    opts.signal,
  );
  const results: PushResult[] = [];
  for (const { tag, image } of images) {
    const body = await ctx.content.readBuffer(image.manifestDigest);
    const manifest = JSON.parse(body.toString('utf8')) as ImageManifest;
    await pushBlobs(ctx, client, ref, manifest, progress, opts.signal);
    const mediaType = manifest.mediaType ?? MediaTypes.ociManifest;
    const digest = await client.putManifest(ref.path, tag, mediaType, body, opts.signal);
    await ctx.sources.record(ref.domain, ref.path, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    // dockerd adds `name@digest` to the image's RepoDigests after a push; registering the
    // (already unpacked) manifest again with a repo digest does exactly that.
    await ctx.images.createFromManifest(image.manifestDigest, { repoDigest: `${ref.name}@${digest}` });
    const result = { Tag: tag, Digest: digest, Size: body.length };
    progress(statusEvent(`${tag}: digest: ${digest} size: ${body.length}`));
    progress({ progressDetail: {}, aux: result });
    results.push(result);
    ctx.log?.info({ ref: `${ref.name}:${tag}`, digest }, 'image pushed');
  }
  return results;
}

/** Every local tag of a repository (`docker push name` without a tag). */
async function localTags(ctx: DistributionContext, ref: RemoteReference): Promise<string[]> {
  const tags = new Set<string>();
  for (const image of await ctx.images.list(undefined, true)) {
    for (const repoTag of image.repoTags) {
      let parsed: RemoteReference;
      try {
        parsed = parseRemoteReference(repoTag);
      } catch {
        continue;
      }
      if (parsed.name === ref.name && parsed.tag !== undefined) tags.add(parsed.tag);
    }
  }
  return [...tags].sort();
}

async function pushBlobs(
  ctx: DistributionContext,
  client: RegistryClient,
  ref: RemoteReference,
  manifest: ImageManifest,
  progress: ProgressFn,
  signal?: AbortSignal,
): Promise<void> {
  // Docker lists layers top first.
  const layers = [...new Map(manifest.layers.map((l) => [l.digest, l])).values()].reverse();
  for (const layer of layers) progress(statusEvent('Preparing', shortId(layer.digest)));
  await allOrAbort(
    layers,
    ctx.concurrency,
    async (layer, linked) => {
      const outcome = await pushBlob(ctx, client, ref, layer, linked, progress);
      progress(statusEvent(outcome, shortId(layer.digest)));
    },
    { signal, onQueued: (layer) => progress(statusEvent('Waiting', shortId(layer.digest))) },
  );
  // The config goes last and silently, as dockerd does.
  await pushBlob(ctx, client, ref, manifest.config, signal);
}

/** Push one blob; the status line it ends with: "Pushed", "Layer already exists" or "Mounted from …". */
async function pushBlob(
  ctx: DistributionContext,
  client: RegistryClient,
  ref: RemoteReference,
  desc: OciDescriptor,
  signal: AbortSignal | undefined,
  progress?: ProgressFn,
): Promise<string> {
  if (await client.hasBlob(ref.path, desc.digest, [pushScope(ref.path)], signal)) return 'Layer already exists';
  const local = await ctx.content.info(desc.digest);
  if (!local) throw new EngineError('INTERNAL', `blob ${desc.digest} of ${ref.name} is not in the content store`);
  let location: string | undefined;
  const from = (await ctx.sources.repositories(ref.domain, desc.digest)).find((repo) => repo !== ref.path);
  if (from !== undefined) {
    // 201: mounted. 202: the registry could not (or may not) mount and opened an upload instead.
    location = await client.mount(ref.path, desc.digest, from, signal);
    if (location === undefined) return `Mounted from ${from}`;
  }
  location ??= await client.startUpload(ref.path, signal);
  const bar = progress ? new LayerProgress(progress, shortId(desc.digest), 'Pushing', local.size) : undefined;
  const reader = ctx.content.reader(desc.digest);
  async function* counted(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    for await (const chunk of reader as AsyncIterable<Buffer>) {
      sent += chunk.length;
      bar?.update(sent);
      yield chunk;
    }
  }
  try {
    await client.upload(ref.path, location, counted(), local.size, desc.digest, signal);
  } finally {
    bar?.stop();
    reader.destroy();
  }
  return 'Pushed';
}
