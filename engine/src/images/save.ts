import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { type ImageIndex, MediaTypes, type OciDescriptor } from '../types/oci.js';
import type { ImageContext } from './context.js';
import { familiarString, splitReference } from './reference.js';
import type { ImageWithConfig } from './types.js';

/** One image to save and the references it is saved under (normalized). */
export interface SaveItem {
  image: ImageWithConfig;
  tags: string[];
}

const EPOCH = new Date(0);

/**
 * `docker save` in dockerd 25+'s layout, readable both as a docker-archive and as an OCI image
 * layout: `blobs/sha256/<hex>` (config, layers as stored, manifest), `index.json`,
 * `manifest.json`, `oci-layout`, `repositories`. Timestamps are fixed so the same images give
 * the same bytes.
 */
export function saveImages(ctx: ImageContext, items: SaveItem[]): Readable {
  const pack = tar.pack();
  const run = async () => {
    const written = new Set<string>();
    const dir = (name: string) => pack.entry({ name, type: 'directory', mode: 0o755, mtime: EPOCH });
    const file = (name: string, data: string | Buffer) =>
      new Promise<void>((resolve, reject) =>
        pack.entry({ name, mode: 0o644, mtime: EPOCH }, data, (err) => (err ? reject(err) : resolve())),
      );
    const blob = async (digest: string, size: number) => {
      if (written.has(digest)) return;
      written.add(digest);
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: `blobs/sha256/${digest.slice(7)}`, size, mode: 0o644, mtime: EPOCH }, (err) =>
          err ? reject(err) : resolve(),
        ) as unknown as NodeJS.WritableStream & { destroy(e?: Error): void };
        (async () => {
          for await (const chunk of ctx.content.reader(digest)) {
            if (!sink.write(chunk as Buffer)) await new Promise((r) => sink.once('drain', () => r(undefined)));
          }
          sink.end();
        })().catch((err) => {
          sink.destroy(err as Error);
          reject(err);
        });
      });
    };
    dir('blobs/');
    dir('blobs/sha256/');
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
    const dockerManifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, tags } of items) {
      const m = image.manifest;
      await blob(m.config.digest, m.config.size);
      for (const l of m.layers) await blob(l.digest, l.size);
      await blob(image.manifestDigest, (await ctx.content.info(image.manifestDigest))?.size ?? 0);
      const manifestDesc: OciDescriptor = {
        mediaType: m.mediaType ?? MediaTypes.ociManifest,
        digest: image.manifestDigest,
        size: (await ctx.content.info(image.manifestDigest))?.size ?? 0,
      };
      if (tags.length === 0) index.manifests.push(manifestDesc);
      for (const t of tags) {
        const { suffix } = splitReference(t);
        index.manifests.push({
          ...manifestDesc,
          annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': suffix.slice(1) },
        });
        const familiar = familiarString(t);
        const { name } = splitReference(familiar);
        const top = m.layers[m.layers.length - 1];
        if (top) repositories[name] = { ...repositories[name], [suffix.slice(1)]: top.digest.slice(7) };
      }
      dockerManifest.push({
        Config: `blobs/sha256/${m.config.digest.slice(7)}`,
        RepoTags: tags.length > 0 ? tags.map(familiarString) : null,
        Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      });
    }
    await file('index.json', JSON.stringify(index));
    await file('manifest.json', JSON.stringify(dockerManifest));
    await file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (Object.keys(repositories).length > 0) await file('repositories', JSON.stringify(repositories));
    pack.finalize();
  };
  run().catch((err) => pack.destroy(err as Error));
  // a node:stream Readable (tar-stream's is streamx) so the API layer can pipeline() it
  return Readable.from(pack);
}
