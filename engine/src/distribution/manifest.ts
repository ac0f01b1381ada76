import { z } from 'zod';
import { EngineError } from '../errors.js';
import { type ImageIndex, type ImageManifest, MediaTypes } from '../types/oci.js';

/** Registry JSON is untrusted input: check the fields a pull relies on before using them. */
const descriptor = z
  .object({
    mediaType: z.string(),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'unsupported digest'),
    size: z.number().int().nonnegative(),
    annotations: z.record(z.string(), z.string()).optional(),
    platform: z.object({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).loose().optional(),
  })
  .loose();

const manifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    config: descriptor,
    layers: z.array(descriptor),
  })
  .loose();

const indexSchema = z
  .object({ schemaVersion: z.literal(2), mediaType: z.string().optional(), manifests: z.array(descriptor) })
  .loose();

const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** Layer blob types a pull accepts (the image store unpacks gzip, zstd and plain tar). */
export const LAYER_TYPES = new Set<string>([
  MediaTypes.dockerLayerGzip,
  MediaTypes.dockerLayer,
  MediaTypes.ociLayer,
  MediaTypes.ociLayerGzip,
  MediaTypes.ociLayerZstd,
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
]);

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

/** Classify and validate manifest JSON by its media type (or, lacking one, by its shape). */
export function parseManifest(body: Buffer, mediaType: string, what: string): ParsedManifest {
  if (SCHEMA1_TYPES.has(mediaType)) {
    throw new EngineError('NOT_IMPLEMENTED', `Docker Image manifest version 2, schema 1 (${what})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new EngineError('INTERNAL', `${what}: manifest is not JSON`);
  }
  const isIndex =
    INDEX_TYPES.has(mediaType) ||
    (!MANIFEST_TYPES.has(mediaType) && typeof json === 'object' && json !== null && 'manifests' in json);
  if (isIndex) {
    const parsed = indexSchema.safeParse(json);
    if (!parsed.success)
      throw new EngineError('INTERNAL', `${what}: invalid image index: ${parsed.error.issues[0]?.message ?? ''}`);
    return { kind: 'index', index: parsed.data as ImageIndex };
  }
  if (!MANIFEST_TYPES.has(mediaType) && !(typeof json === 'object' && json !== null && 'layers' in json)) {
    throw new EngineError('INTERNAL', `${what}: unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new EngineError('INTERNAL', `${what}: invalid image manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  for (const layer of parsed.data.layers) {
    if (!LAYER_TYPES.has(layer.mediaType))
      throw new EngineError('INTERNAL', `${what}: unsupported layer media type ${layer.mediaType}`);
  }
  return { kind: 'manifest', manifest: parsed.data as ImageManifest };
}
