import { join } from 'node:path';
import type { ContentStore } from '../content/types.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import type { ImageConfig, ImageManifest } from '../types/oci.js';
import type { ImageRecord, ImageWithConfig } from './types.js';

/** What is persisted per image besides its tags. */
export interface StoredImage {
  id: string;
  manifestDigest: string;
  created: string;
  size: number;
  chainIds: string[];
  /** Uncompressed size of each layer, bottom first (history sizes). */
  layerSizes: number[];
  /** The image this one was committed/built on, when made here (Docker's local "Parent"). */
  parent?: string;
  lastTagTime?: string;
}

interface IndexFile {
  version: 1;
  images: Record<string, StoredImage>;
  /** normalized `name:tag` or `name@digest` → image id */
  refs: Record<string, string>;
}

export interface LoadedImage {
  stored: StoredImage;
  config: ImageConfig;
  manifest: ImageManifest;
}

/**
 * The image records and the reference index, kept in memory (so `get` is a map lookup on the
 * `docker run` path) and persisted as one JSON file written atomically on every change.
 */
export class ImageIndex {
  readonly images = new Map<string, LoadedImage>();
  readonly refs = new Map<string, string>();
  private readonly path: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    root: string,
    private readonly content: ContentStore,
  ) {
    this.path = join(root, 'images', 'index.json');
  }

  async load(onMissing: (id: string, err: unknown) => void): Promise<void> {
    const file = await readJson<IndexFile>(this.path);
    if (!file) return;
    await Promise.all(
      Object.values(file.images).map(async (stored) => {
        try {
          const manifest = JSON.parse(
            (await this.content.readBuffer(stored.manifestDigest)).toString(),
          ) as ImageManifest;
          const config = JSON.parse((await this.content.readBuffer(manifest.config.digest)).toString()) as ImageConfig;
          this.images.set(stored.id, { stored, config, manifest });
        } catch (err) {
          onMissing(stored.id, err);
        }
      }),
    );
    for (const [ref, id] of Object.entries(file.refs)) if (this.images.has(id)) this.refs.set(ref, id);
  }

  refsOf(id: string): string[] {
    const out: string[] = [];
    for (const [ref, target] of this.refs) if (target === id) out.push(ref);
    return out.sort();
  }

  record(id: string): ImageWithConfig | undefined {
    const img = this.images.get(id);
    if (!img) return undefined;
    const refs = this.refsOf(id);
    const rec: ImageWithConfig = {
      id,
      repoTags: refs.filter((r) => !r.includes('@')),
      repoDigests: refs.filter((r) => r.includes('@')),
      manifestDigest: img.stored.manifestDigest,
      created: img.stored.created,
      size: img.stored.size,
      chainIds: [...img.stored.chainIds],
      config: img.config,
      manifest: img.manifest,
    };
    if (img.stored.lastTagTime) rec.lastTagTime = img.stored.lastTagTime;
    if (img.stored.parent) rec.parent = img.stored.parent;
    return rec;
  }

  /** Plain record without config/manifest (list results). */
  summary(id: string): ImageRecord | undefined {
    const full = this.record(id);
    if (!full) return undefined;
    const { config: _c, manifest: _m, ...rec } = full;
    return rec;
  }

  children(id: string): string[] {
    const out: string[] = [];
    for (const [cid, img] of this.images) if (img.stored.parent === id) out.push(cid);
    return out;
  }

  /** Run a mutation of the maps and persist the result; mutations never interleave. */
  mutate<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      const out = await fn();
      await this.save();
      return out;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async save(): Promise<void> {
    const file: IndexFile = { version: 1, images: {}, refs: Object.fromEntries(this.refs) };
    for (const [id, img] of this.images) file.images[id] = img.stored;
    await writeJsonAtomic(this.path, file);
  }
}
