import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { createLayerFromDiff } from '../archive/pack.js';
import { type ImageConfig, type ImageManifest, MediaTypes, type OciDescriptor } from '../types/oci.js';
import { hostArchitecture, putJson } from './blobs.js';
import type { ImageContext } from './context.js';
import { normalizeReference } from './reference.js';
import type { ImageRecord, ImageWithConfig } from './types.js';

export interface CommitOptions {
  reference?: string;
  createdBy?: string;
  comment?: string;
  author?: string;
  emptyLayer?: boolean;
  compression?: 'gzip' | 'none';
}

/**
 * `docker commit` / a build step: the snapshot's upper directory becomes a new layer blob (gzip by
 * default), stacked on the parent image's layers. The given config supplies everything but
 * `rootfs` and `history`, which are the parent's plus this step. The new layer is unpacked from
 * its blob like any other, so the image's snapshots never share a directory with the container.
 */
export async function commitSnapshot(
  ctx: ImageContext,
  key: string,
  parent: ImageWithConfig | undefined,
  config: ImageConfig,
  opts: CommitOptions,
): Promise<ImageRecord> {
  const created = new Date().toISOString();
  const diffIds = [...(parent?.config.rootfs.diff_ids ?? [])];
  const layers: OciDescriptor[] = [...(parent?.manifest.layers ?? [])];
  if (!opts.emptyLayer) {
    const { desc, diffId } = await writeLayer(ctx, await ctx.snapshotter.upperDir(key), opts.compression ?? 'gzip');
    layers.push(desc);
    diffIds.push(diffId);
  }
  const entry: NonNullable<ImageConfig['history']>[number] = { created, created_by: opts.createdBy ?? '' };
  if (opts.comment) entry.comment = opts.comment;
  if (opts.author) entry.author = opts.author;
  if (opts.emptyLayer) entry.empty_layer = true;
  const next: ImageConfig = {
    ...config,
    architecture: config.architecture || parent?.config.architecture || hostArchitecture(),
    os: config.os || parent?.config.os || 'linux',
    created,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...(parent?.config.history ?? []), entry],
  };
  if (opts.author) next.author = opts.author;
  if (opts.comment) next.comment = opts.comment;
  const configDesc = await putJson(ctx.content, next, MediaTypes.ociConfig);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: configDesc, layers };
  const manifestDesc = await putJson(ctx.content, manifest, MediaTypes.ociManifest);
  const tags = opts.reference ? [normalizeReference(opts.reference)] : [];
  const { record } = await ctx.register(manifestDesc.digest, parent ? { tags, parent: parent.id } : { tags });
  return record;
}

/** Tar the diff once: hash the uncompressed bytes (diffID) on the way into the compressor. */
async function writeLayer(ctx: ImageContext, upper: string, compression: 'gzip' | 'none') {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const tar = createLayerFromDiff(upper);
  tar.on('error', (err) => tap.destroy(err));
  let out: Readable = tar.pipe(tap);
  if (compression === 'gzip') {
    const gz = createGzip();
    tap.on('error', (err) => gz.destroy(err));
    out = tap.pipe(gz);
  }
  const blob = await ctx.content.ingest(out);
  return {
    desc: {
      mediaType: compression === 'gzip' ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer,
      digest: blob.digest,
      size: blob.size,
    },
    diffId: `sha256:${hash.digest('hex')}`,
  };
}
