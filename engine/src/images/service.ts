import type { Readable } from 'node:stream';
import { LocalContentStore } from '../content/store.js';
import type { ContentStore } from '../content/types.js';
import { EngineError, isEngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { OverlaySnapshotter } from '../snapshots/overlay.js';
import type { Mount, Snapshotter } from '../snapshots/types.js';
import type { HistoryEntry, ImageConfig, ImageManifest } from '../types/oci.js';
import { readJsonBlob } from './blobs.js';
import { type CommitOptions, commitSnapshot } from './commit.js';
import type { ImageContext, RegisterOptions } from './context.js';
import { imageMatcher, matchingTags } from './filters.js';
import { importRootfs } from './import.js';
import { loadArchive } from './load.js';
import {
  asImageId,
  familiarString,
  normalizeReference,
  normalizeTag,
  parseReference,
  splitReference,
} from './reference.js';
import { ImageRemover } from './remove.js';
import { type SaveItem, saveImages } from './save.js';
import { ImageIndex } from './store.js';
import type {
  ImageFilters,
  ImageInUseFn,
  ImageRecord,
  ImageService,
  ImageWithConfig,
  ImportOptions,
  ProgressFn,
  RemoveResult,
} from './types.js';
import { LAYER_SIZE_LABEL, Unpacker } from './unpack.js';

export interface ImageStoreOptions {
  root: string;
  content: ContentStore;
  snapshotter: Snapshotter;
  log: Logger;
  inUse?: ImageInUseFn;
}

type HistoryItem = Awaited<ReturnType<ImageService['history']>>[number];

/**
 * The image store (Docker's image service on containerd-style parts): records and references
 * in memory, persisted by ImageIndex; blobs in the content store; layers as committed
 * snapshots named by chainID. Image id = config digest.
 */
export class ImageStore implements ImageService, ImageContext {
  readonly content: ContentStore;
  readonly snapshotter: Snapshotter;
  readonly index: ImageIndex;
  readonly unpacker: Unpacker;
  readonly log: Logger;
  private readonly remover: ImageRemover;

  constructor(opts: ImageStoreOptions) {
    this.content = opts.content;
    this.snapshotter = opts.snapshotter;
    this.log = opts.log;
    this.index = new ImageIndex(opts.root, opts.content);
    this.unpacker = new Unpacker(opts.content, opts.snapshotter, opts.log);
    this.remover = new ImageRemover(this, opts.inUse ?? (() => undefined));
  }

  async init(): Promise<void> {
    await this.index.load((id, err) => this.log.warn({ id, err: String(err) }, 'dropping image with missing blobs'));
    // layer extractions interrupted by a crash: their half-written snapshots are garbage
    for (const s of await this.snapshotter.list()) {
      if (s.kind === 'active' && s.key.startsWith('extract-'))
        await this.snapshotter.remove(s.key).catch(() => undefined);
    }
  }

  // ---- lookup (memory only: this is on the `docker run` path)

  /** The image id `ref` names, and the normalized reference when it matched by name. */
  resolve(ref: string): { id: string; normalized?: string } {
    const full = asImageId(ref);
    if (full && this.index.images.has(full)) return { id: full };
    let parsed: ReturnType<typeof parseReference> | undefined;
    try {
      parsed = ref.startsWith('sha256:') ? undefined : parseReference(ref);
    } catch {
      parsed = undefined;
    }
    if (parsed) {
      const candidates = parsed.digest
        ? [`${parsed.name}@${parsed.digest}`]
        : [`${parsed.name}:${parsed.tag ?? 'latest'}`];
      for (const c of candidates) {
        const id = this.index.refs.get(c);
        if (id) return { id, normalized: c };
      }
      if (parsed.digest) {
        // name@digest of a manifest we hold under another name, or a config digest
        for (const [id, img] of this.index.images) {
          if (img.stored.manifestDigest === parsed.digest || id === parsed.digest) return { id };
        }
      }
    }
    const prefix = /^(sha256:)?([a-f0-9]{1,64})$/.exec(ref)?.[2];
    if (prefix) {
      const matches = [...this.index.images.keys()].filter((id) => id.startsWith(`sha256:${prefix}`));
      if (matches.length === 1) return { id: matches[0]! };
      if (matches.length > 1) throw new EngineError('CONFLICT', `image ID prefix ${ref} is ambiguous`);
    }
    throw new EngineError('NO_SUCH_IMAGE', ref);
  }

  async get(ref: string): Promise<ImageWithConfig> {
    return this.record(this.resolve(ref).id);
  }

  private record(id: string): ImageWithConfig {
    const rec = this.index.record(id);
    if (!rec) throw new EngineError('NO_SUCH_IMAGE', id);
    return rec;
  }

  async list(filters: ImageFilters = {}, all = false): Promise<ImageRecord[]> {
    const match = imageMatcher(filters, (r) => this.record(this.resolve(r).id));
    const out: ImageRecord[] = [];
    for (const id of this.index.images.keys()) {
      const rec = this.record(id);
      // like `docker images`: untagged intermediate images (with children) only with --all
      if (!all && rec.repoTags.length === 0 && this.index.children(id).length > 0) continue;
      if (!match(rec)) continue;
      const { config: _c, manifest: _m, ...summary } = rec;
      out.push({ ...summary, repoTags: matchingTags(filters, rec.repoTags) });
    }
    return out.sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || a.id.localeCompare(b.id));
  }

  // ---- creating images

  async register(manifestDigest: string, opts: RegisterOptions, progress?: ProgressFn) {
    const manifest = await readJsonBlob<ImageManifest>(this.content, manifestDigest, 'manifest');
    if (manifest.schemaVersion !== 2 || !manifest.config?.digest || !Array.isArray(manifest.layers)) {
      throw new EngineError('INVALID_ARCHIVE', `${manifestDigest} is not an image manifest`);
    }
    const config = await readJsonBlob<ImageConfig>(this.content, manifest.config.digest, 'image config');
    const { chainIds, sizes } = await this.unpacker.unpack(manifest, config, progress);
    const id = manifest.config.digest;
    const now = new Date().toISOString();
    const notices: string[] = [];
    await this.index.mutate(() => {
      if (!this.index.images.has(id)) {
        const stored = {
          id,
          manifestDigest,
          created: config.created ?? now,
          size: sizes.reduce((a, b) => a + b, 0),
          chainIds,
          layerSizes: sizes,
          ...(opts.parent ? { parent: opts.parent } : {}),
        };
        this.index.images.set(id, { stored, config, manifest });
      }
      const img = this.index.images.get(id)!;
      for (const tag of opts.tags ?? []) {
        const prev = this.index.refs.get(tag);
        if (prev && prev !== id) {
          notices.push(
            `The image ${familiarString(tag)} already exists, renaming the old one with ID ${prev} to empty string`,
          );
        }
        this.index.refs.set(tag, id);
        img.stored.lastTagTime = now;
      }
      if (opts.repoDigest) this.index.refs.set(opts.repoDigest, id);
    });
    return { record: this.record(id), notices };
  }

  importRootfs(tar: Readable, opts: ImportOptions, progress?: ProgressFn): Promise<ImageRecord> {
    return importRootfs(this, tar, opts, progress);
  }

  load(tar: Readable, progress?: ProgressFn): Promise<string[]> {
    return loadArchive(this, tar, progress);
  }

  async createFromManifest(
    manifestDigest: string,
    opts: { reference?: string; repoDigest?: string },
    progress?: ProgressFn,
  ): Promise<ImageRecord> {
    const tags = opts.reference ? [normalizeReference(opts.reference)] : [];
    const reg: RegisterOptions = { tags: tags.filter((t) => !t.includes('@')) };
    if (opts.repoDigest) reg.repoDigest = normalizeReference(opts.repoDigest);
    return (await this.register(manifestDigest, reg, progress)).record;
  }

  unpackWhileDownloading(
    diffIds: string[],
    i: number,
    source: AsyncIterable<Uint8Array>,
    onSettled: (ok: boolean) => void,
  ): Promise<boolean> {
    return this.unpacker.unpackWhileDownloading(diffIds, i, source, onSettled);
  }

  async commit(
    key: string,
    parentImageId: string | undefined,
    config: ImageConfig,
    opts: CommitOptions,
  ): Promise<ImageRecord> {
    const parent = parentImageId ? await this.get(parentImageId) : undefined;
    return commitSnapshot(this, key, parent, config, opts);
  }

  // ---- references

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    const { id } = this.resolve(source);
    const ref = normalizeTag(repo, tag);
    await this.index.mutate(() => {
      this.index.refs.set(ref, id);
      const img = this.index.images.get(id);
      if (img) img.stored.lastTagTime = new Date().toISOString();
    });
  }

  async save(refs: string[]): Promise<Readable> {
    const items = new Map<string, SaveItem>();
    const add = (id: string, tags: string[]) => {
      const item = items.get(id) ?? { image: this.record(id), tags: [] };
      for (const t of tags) if (!item.tags.includes(t)) item.tags.push(t);
      items.set(id, item);
    };
    for (const ref of refs) {
      const parsed = safeParse(ref);
      if (parsed && !parsed.tag && !parsed.digest) {
        // a bare repository name saves every tag of it, as `docker save busybox` does
        const repoTags = [...this.index.refs.entries()].filter(
          ([r]) => splitReference(r).name === parsed.name && !r.includes('@'),
        );
        if (repoTags.length > 0) {
          for (const [r, id] of repoTags) add(id, [r]);
          continue;
        }
      }
      const { id, normalized } = this.resolve(ref);
      add(id, normalized && !normalized.includes('@') ? [normalized] : []);
    }
    return saveImages(this, [...items.values()]);
  }

  async remove(ref: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemoveResult[]> {
    const { id, normalized } = this.resolve(ref);
    return (await this.remover.remove(ref, id, normalized, opts)).records;
  }

  async prune(opts: { dangling: boolean; filters?: ImageFilters }) {
    const match = imageMatcher(opts.filters ?? {}, (r) => this.record(this.resolve(r).id));
    const deleted: RemoveResult[] = [];
    let reclaimed = 0;
    const candidates = [...this.index.images.keys()]
      .map((id) => this.record(id))
      .filter(
        (img) =>
          match(img) && (!opts.dangling || (img.repoTags.length === 0 && this.index.children(img.id).length === 0)),
      )
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    for (const img of candidates) {
      if (!this.index.images.has(img.id)) continue; // pruned as someone's parent already
      try {
        const refs = this.index.refsOf(img.id);
        if (refs.length === 0) {
          const r = await this.remover.remove(img.id, img.id, undefined, {});
          deleted.push(...r.records);
          reclaimed += r.reclaimed;
        }
        for (const ref of refs) {
          const r = await this.remover.remove(ref, img.id, ref, {});
          deleted.push(...r.records);
          reclaimed += r.reclaimed;
        }
      } catch (err) {
        if (!isEngineError(err, 'CONFLICT') && !isEngineError(err, 'IMAGE_IN_USE')) throw err;
      }
    }
    return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  // ---- inspection

  async history(ref: string): Promise<HistoryItem[]> {
    const img = await this.get(ref);
    const stored = this.index.images.get(img.id)!.stored;
    const history: HistoryEntry[] = img.config.history?.length
      ? img.config.history
      : img.config.rootfs.diff_ids.map(() => ({ created: img.created, created_by: '' }));
    // entries that close a local parent image show that image's id, as dockerd does
    const owners = new Map<number, ImageWithConfig>([[history.length - 1, img]]);
    for (let p = stored.parent; p && this.index.images.has(p); p = this.index.images.get(p)?.stored.parent) {
      const parent = this.record(p);
      owners.set((parent.config.history?.length ?? parent.chainIds.length) - 1, parent);
    }
    const out: HistoryItem[] = [];
    let layer = stored.layerSizes.length - 1;
    for (let i = history.length - 1; i >= 0; i--) {
      const h = history[i]!;
      const size = h.empty_layer ? 0 : (stored.layerSizes[layer--] ?? 0);
      const owner = owners.get(i);
      out.push({
        Id: owner?.id ?? '<missing>',
        Created: Math.floor(Date.parse(h.created ?? img.created) / 1000) || 0,
        CreatedBy: h.created_by ?? '',
        Tags: owner && owner.repoTags.length > 0 ? owner.repoTags.map(familiarString) : null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    return out;
  }

  async prepareRootfs(imageId: string, key: string): Promise<Mount[]> {
    const { id } = this.resolve(imageId);
    const img = this.index.images.get(id)!;
    const top = img.stored.chainIds[img.stored.chainIds.length - 1];
    if (top !== undefined && !(await this.snapshotter.stat(top))) {
      this.log.warn({ id, chainId: top }, 'image layers missing on disk, unpacking again');
      await this.unpacker.unpack(img.manifest, img.config);
    }
    return this.snapshotter.prepare(key, top);
  }

  async diskUsage(): Promise<{ layersSize: number }> {
    let layersSize = 0;
    for (const s of await this.snapshotter.list()) {
      if (s.kind === 'committed') layersSize += Number(s.labels[LAYER_SIZE_LABEL] ?? 0);
    }
    return { layersSize };
  }
}

function safeParse(ref: string) {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
}

/**
 * The daemon's entry point: content store, overlay snapshotter and image store under `root`,
 * initialised and ready.
 */
export async function createImageService(root: string, log: Logger, inUse?: ImageInUseFn): Promise<ImageStore> {
  const content = new LocalContentStore(root);
  await content.init();
  const snapshotter = new OverlaySnapshotter(root);
  await snapshotter.init();
  const store = new ImageStore({ root, content, snapshotter, log, ...(inUse ? { inUse } : {}) });
  await store.init();
  return store;
}
