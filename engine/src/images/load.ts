import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { decompress } from '../archive/decompress.js';
import type { Descriptor } from '../content/types.js';
import { EngineError, isEngineError } from '../errors.js';
import { type ImageConfig, type ImageIndex, type ImageManifest, MediaTypes, type OciDescriptor } from '../types/oci.js';
import { hostArchitecture, layerMediaType, putJson, readJsonBlob } from './blobs.js';
import type { ImageContext } from './context.js';
import { familiarString, normalizeReference } from './reference.js';
import type { ProgressFn } from './types.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface ArchiveFiles {
  /** entry path → blob descriptor (every regular file goes to the content store as it streams by) */
  files: Map<string, Descriptor>;
  /** entry path → link target path (classic `docker save` links duplicate layer.tar files) */
  links: Map<string, string>;
}

/**
 * `docker load`: a docker-archive (manifest.json, classic or dockerd 25+ layout) or an OCI image
 * layout (index.json + oci-layout), optionally gzip/zstd-compressed as a whole. Every file is
 * streamed into the content store while the tar is read (the manifest may come last, so nothing
 * can be decided earlier); blobs no image ends up using (e.g. `<layer>/json`, `repositories`)
 * are deleted afterwards.
 */
export async function loadArchive(ctx: ImageContext, input: Readable, progress?: ProgressFn): Promise<string[]> {
  const archive = await readArchive(ctx, input);
  try {
    const lines: string[] = [];
    const emit = (line: string) => {
      lines.push(line);
      progress?.({ stream: `${line}\n` });
    };
    const manifestJson = blobAt(archive, 'manifest.json', false);
    if (manifestJson) {
      const entries = await readJsonBlob<DockerManifestEntry[]>(ctx.content, manifestJson.digest, 'manifest.json');
      if (!Array.isArray(entries)) throw new EngineError('INVALID_ARCHIVE', 'manifest.json is not a list');
      const ociManifests = await ociManifestsByConfig(ctx, archive);
      for (const entry of entries) await loadDockerEntry(ctx, archive, entry, ociManifests, emit, progress);
    } else if (blobAt(archive, 'index.json', false)) {
      await loadOciLayout(ctx, archive, emit, progress);
    } else {
      throw new EngineError('INVALID_ARCHIVE', 'neither manifest.json nor index.json found in the archive');
    }
    return lines;
  } finally {
    for (const desc of archive.files.values()) {
      if (!isReferenced(ctx, desc.digest)) await ctx.content.delete(desc.digest);
    }
  }
}

async function readArchive(ctx: ImageContext, input: Readable): Promise<ArchiveFiles> {
  const out: ArchiveFiles = { files: new Map(), links: new Map() };
  const extract = tar.extract();
  const feeder = (async () => {
    try {
      for await (const chunk of decompress(input)) {
        if (!extract.write(chunk)) await new Promise((r) => extract.once('drain', () => r(undefined)));
      }
      extract.end(undefined as never);
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  try {
    for await (const entry of extract) {
      const name = posix
        .normalize(entry.header.name)
        .replace(/^(\.\/)+|^\/+/, '')
        .replace(/\/$/, '');
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        out.files.set(name, await ctx.content.ingest(entry as unknown as AsyncIterable<Uint8Array>));
      } else if (entry.header.type === 'symlink' || entry.header.type === 'link') {
        const target =
          entry.header.type === 'symlink'
            ? posix.join(posix.dirname(name), entry.header.linkname)
            : entry.header.linkname;
        out.links.set(name, posix.normalize(target));
      }
      entry.resume();
    }
    await feeder;
  } catch (err) {
    for (const d of out.files.values()) if (!isReferenced(ctx, d.digest)) await ctx.content.delete(d.digest);
    if (isEngineError(err)) throw err;
    throw new EngineError('INVALID_ARCHIVE', (err as Error).message);
  }
  return out;
}

function blobAt(archive: ArchiveFiles, path: string, required = true): Descriptor | undefined {
  let p = posix.normalize(path).replace(/^(\.\/)+|^\/+/, '');
  for (let hops = 0; hops < 16 && !archive.files.has(p) && archive.links.has(p); hops++) p = archive.links.get(p)!;
  const d = archive.files.get(p);
  if (!d && required) throw new EngineError('INVALID_ARCHIVE', `${path} is missing from the archive`);
  return d;
}

async function loadDockerEntry(
  ctx: ImageContext,
  archive: ArchiveFiles,
  entry: DockerManifestEntry,
  ociManifests: Map<string, OciDescriptor>,
  emit: (line: string) => void,
  progress?: ProgressFn,
): Promise<void> {
  const configDesc = blobAt(archive, entry.Config)!;
  const config = await readJsonBlob<ImageConfig>(ctx.content, configDesc.digest, 'image config');
  let manifestDigest = ociManifests.get(configDesc.digest)?.digest;
  if (!manifestDigest) {
    const layers: OciDescriptor[] = [];
    for (const path of entry.Layers ?? []) {
      const d = blobAt(archive, path)!;
      layers.push({ mediaType: await layerMediaType(ctx.content, d.digest), digest: d.digest, size: d.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: configDesc.digest, size: configDesc.size },
      layers,
    };
    validateConfig(config, manifest);
    manifestDigest = (await putJson(ctx.content, manifest, MediaTypes.ociManifest)).digest;
  }
  const tags = (entry.RepoTags ?? []).map((t) => normalizeReference(t));
  await finishImage(ctx, manifestDigest, tags, emit, progress);
}

async function finishImage(
  ctx: ImageContext,
  manifestDigest: string,
  tags: string[],
  emit: (line: string) => void,
  progress?: ProgressFn,
): Promise<void> {
  const { record, notices } = await ctx.register(manifestDigest, { tags }, progress);
  for (const n of notices) emit(n);
  if (tags.length === 0) emit(`Loaded image ID: ${record.id}`);
  for (const t of tags) emit(`Loaded image: ${familiarString(t)}`);
}

/** OCI manifests of a dockerd 25+ archive by config digest, so a load keeps the saved manifest digest. */
async function ociManifestsByConfig(ctx: ImageContext, archive: ArchiveFiles): Promise<Map<string, OciDescriptor>> {
  const out = new Map<string, OciDescriptor>();
  const index = blobAt(archive, 'index.json', false);
  if (!index) return out;
  for (const desc of await platformManifests(ctx, archive, index.digest)) {
    const m = await readJsonBlob<ImageManifest>(ctx.content, desc.digest, 'manifest');
    if (m.config?.digest) out.set(m.config.digest, desc);
  }
  return out;
}

async function loadOciLayout(
  ctx: ImageContext,
  archive: ArchiveFiles,
  emit: (line: string) => void,
  progress?: ProgressFn,
): Promise<void> {
  const index = blobAt(archive, 'index.json')!;
  for (const desc of await platformManifests(ctx, archive, index.digest)) {
    const manifest = await readJsonBlob<ImageManifest>(ctx.content, desc.digest, 'manifest');
    const config = await readJsonBlob<ImageConfig>(ctx.content, manifest.config.digest, 'image config');
    validateConfig(config, manifest);
    const name =
      desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
    const tags: string[] = [];
    // a bare tag in ref.name (as `skopeo copy oci:dir:tag` writes) names no repository: load it untagged
    if (name && (name.includes('/') || name.includes(':') || name.includes('@'))) {
      try {
        tags.push(normalizeReference(name));
      } catch {
        ctx.log.warn({ name }, 'ignoring unparsable image name annotation');
      }
    }
    await finishImage(ctx, desc.digest, tags, emit, progress);
  }
}

/**
 * Image manifests an index names, following nested indexes; for multi-platform images only the
 * host's platform is kept (dockerd's classic store does the same). Blobs must be in the archive.
 */
async function platformManifests(
  ctx: ImageContext,
  archive: ArchiveFiles,
  indexDigest: string,
  depth = 0,
): Promise<OciDescriptor[]> {
  if (depth > 4) throw new EngineError('INVALID_ARCHIVE', 'image indexes nested too deeply');
  const index = await readJsonBlob<ImageIndex>(ctx.content, indexDigest, 'image index');
  const out: OciDescriptor[] = [];
  const present = new Set([...archive.files.values()].map((d) => d.digest));
  const isIndex = (d: OciDescriptor) =>
    d.mediaType === MediaTypes.ociIndex || d.mediaType === MediaTypes.dockerManifestList;
  const candidates = (index.manifests ?? []).filter((d) => present.has(d.digest));
  const platformMatch = candidates.filter(
    (d) => !d.platform || (d.platform.os === 'linux' && d.platform.architecture === hostArchitecture()),
  );
  for (const d of platformMatch.length > 0 ? platformMatch : candidates.slice(0, 1)) {
    if (isIndex(d)) {
      for (const inner of await platformManifests(ctx, archive, d.digest, depth + 1)) {
        out.push({ ...inner, annotations: { ...d.annotations, ...inner.annotations } });
      }
    } else if (!d.platform || platformMatch.includes(d)) {
      out.push(d);
    }
  }
  return out;
}

function validateConfig(config: ImageConfig, manifest: ImageManifest): void {
  if (!config?.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
    throw new EngineError('INVALID_ARCHIVE', 'image config has no rootfs.diff_ids');
  }
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new EngineError('INVALID_ARCHIVE', 'image config and manifest disagree on the number of layers');
  }
}

function isReferenced(ctx: ImageContext, digest: string): boolean {
  for (const img of ctx.index.images.values()) {
    if (img.stored.manifestDigest === digest || img.manifest.config.digest === digest) return true;
    if (img.manifest.layers.some((l) => l.digest === digest)) return true;
  }
  return false;
}
