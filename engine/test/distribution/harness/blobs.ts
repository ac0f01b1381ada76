import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { RegistryClient } from '../../../src/distribution/client.js';
import { type ImageConfig, MediaTypes } from '../../../src/types/oci.js';

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface TestLayer extends Blob {
  diffId: string;
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** A tar of regular files (mode 0644, or 0755 for names in `executables`). */
export async function tarOf(files: Record<string, string | Buffer>, executables: string[] = []): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    p.entry({ name, mode: executables.includes(name) ? 0o755 : 0o644, mtime: new Date(0), size: data.length }, data);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** zstd via Debian's `zstd` program (Node 20's zlib has none). */
export function zstd(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const proc = spawn('zstd', ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd exited ${code}`))));
    proc.stdin.end(data);
  });
}

export async function layerOf(tar: Buffer, compression: Compression = 'gzip', oci = false): Promise<TestLayer> {
  const data = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? await zstd(tar) : tar;
  const mediaType =
    compression === 'zstd'
      ? MediaTypes.ociLayerZstd
      : compression === 'gzip'
        ? oci
          ? MediaTypes.ociLayerGzip
          : MediaTypes.dockerLayerGzip
        : oci
          ? MediaTypes.ociLayer
          : MediaTypes.dockerLayer;
  return { mediaType, digest: sha256(data), size: data.length, data, diffId: sha256(tar) };
}

export interface TestImage {
  config: Blob;
  layers: TestLayer[];
  manifest: Blob;
  platform: { os: string; architecture: string; variant?: string };
}

/** Config and manifest (Docker schema2, or OCI) over the given layers. */
export function imageOf(
  layers: TestLayer[],
  opts: { architecture?: string; variant?: string; cmd?: string[]; oci?: boolean; label?: string } = {},
): TestImage {
  const platform = {
    os: 'linux',
    architecture: opts.architecture ?? 'amd64',
    ...(opts.variant ? { variant: opts.variant } : {}),
  };
  const config: ImageConfig = {
    ...platform,
    created: '2026-01-01T00:00:00Z',
    config: {
      Cmd: opts.cmd ?? ['/bin/sh'],
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(opts.label ? { Labels: { test: opts.label } } : {}),
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'berth test' })),
  };
  const configData = Buffer.from(JSON.stringify(config));
  const configBlob: Blob = {
    mediaType: opts.oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig,
    digest: sha256(configData),
    size: configData.length,
    data: configData,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: opts.oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestData = Buffer.from(JSON.stringify(manifest, null, 3));
  return {
    config: configBlob,
    layers,
    manifest: {
      mediaType: manifest.mediaType,
      digest: sha256(manifestData),
      size: manifestData.length,
      data: manifestData,
    },
    platform,
  };
}

/** An OCI index over platform images. */
export function indexOf(images: TestImage[]): Blob {
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: images.map((i) => ({
      mediaType: i.manifest.mediaType,
      digest: i.manifest.digest,
      size: i.manifest.size,
      platform: i.platform,
    })),
  };
  const data = Buffer.from(JSON.stringify(index));
  return { mediaType: MediaTypes.ociIndex, digest: sha256(data), size: data.length, data };
}

/** Upload blobs straight through the registry client (no local image store involved). */
export async function uploadBlob(client: RegistryClient, repo: string, blob: Blob): Promise<void> {
  const location = await client.startUpload(repo);
  await client.upload(repo, location, Readable.from([blob.data]), blob.size, blob.digest);
}

/** Push an image's blobs and manifest under `reference` (tag or digest). */
export async function uploadImage(
  client: RegistryClient,
  repo: string,
  reference: string,
  image: TestImage,
): Promise<void> {
  for (const blob of [...image.layers, image.config]) await uploadBlob(client, repo, blob);
  await client.putManifest(repo, reference, image.manifest.mediaType, image.manifest.data);
}
