import type { Readable } from 'node:stream';
import { applyLayerToSnapshot } from '../archive/snapshot.js';
import { type ImageConfig, type ImageManifest, MediaTypes } from '../types/oci.js';
import { hostArchitecture, layerMediaType, putJson } from './blobs.js';
import { applyChanges } from './changes.js';
import type { ImageContext } from './context.js';
import { normalizeReference } from './reference.js';
import type { ImageRecord, ImportOptions, ProgressFn } from './types.js';

/**
 * `docker import`: one rootfs tar (plain, gzip or zstd) becomes a one-layer image. The tar is kept
 * as the layer blob exactly as received; its diffID comes from unpacking it.
 */
export async function importRootfs(
  ctx: ImageContext,
  tar: Readable,
  opts: ImportOptions,
  progress?: ProgressFn,
): Promise<ImageRecord> {
  const tags = opts.reference ? [normalizeReference(opts.reference)] : [];
  const config0 = applyChanges({}, opts.changes);
  const blob = await ctx.content.ingest(tar);
  const mediaType = await layerMediaType(ctx.content, blob.digest);
  const layer = { mediaType, digest: blob.digest, size: blob.size };
  // unpack first: the diffID is only known once the (possibly compressed) tar has been read
  const applied = await applyLayerToSnapshot(
    ctx.snapshotter,
    (r) => r.diffId,
    undefined,
    ctx.content.reader(blob.digest),
    {
      log: ctx.log,
    },
  );
  const created = new Date().toISOString();
  const [os, arch, variant] = (opts.platform ?? '').split('/');
  const config: ImageConfig = {
    architecture: arch || hostArchitecture(),
    os: os || 'linux',
    created,
    config: config0,
    rootfs: { type: 'layers', diff_ids: [applied.diffId] },
    history: [{ created, comment: opts.message || 'Imported from -' }],
  };
  if (variant) config.variant = variant;
  if (opts.message) config.comment = opts.message;
  const configDesc = await putJson(ctx.content, config, MediaTypes.ociConfig);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDesc,
    layers: [layer],
  };
  const manifestDesc = await putJson(ctx.content, manifest, MediaTypes.ociManifest);
  const { record } = await ctx.register(manifestDesc.digest, { tags }, progress);
  progress?.({ status: record.id });
  return record;
}
