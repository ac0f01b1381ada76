import { EngineError, isEngineError } from '../errors.js';
import type { ImageContext } from './context.js';
import { familiarString, splitReference } from './reference.js';
import type { ImageInUseFn, RemoveResult } from './types.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * `docker rmi` with dockerd's rules (daemon/images/image_delete.go): removing a name untags it;
 * the image itself goes when its last reference goes. Hard conflicts (child images, running
 * containers) are never forced; soft ones (other references, stopped containers) yield to
 * `force`. Unless `noprune`, untagged parents are pruned too and layers/blobs no image uses
 * any more are deleted.
 */
export class ImageRemover {
  constructor(
    private readonly ctx: ImageContext,
    private readonly inUse: ImageInUseFn,
  ) {}

  /** `ref` resolved to `id`; `normalized` is the reference it matched by name, if any. */
  async remove(ref: string, id: string, normalized: string | undefined, opts: { force?: boolean; noprune?: boolean }) {
    const { index } = this.ctx;
    const force = opts.force ?? false;
    const prune = !opts.noprune;
    const records: RemoveResult[] = [];
    const reclaimed = { bytes: 0 };
    let quiet = false;
    if (normalized !== undefined) {
      const refs = index.refsOf(id);
      if (!force && refs.length === 1) {
        const user = await this.inUse(id);
        if (user) throw new EngineError('IMAGE_IN_USE', ref, short(user.containerId), short(id));
      }
      await index.mutate(() => index.refs.delete(normalized));
      records.push({ Untagged: familiarString(normalized) });
      if (index.refsOf(id).length > 0) return { records, reclaimed: 0 };
      quiet = true;
    } else {
      const refs = index.refsOf(id);
      const repos = new Set(refs.map((r) => splitReference(r).name));
      if (repos.size <= 1) {
        const conflict = await this.checkConflicts(id, force, true);
        if (conflict) throw new EngineError('CONFLICT', conflict.msg);
        await index.mutate(() => {
          for (const r of refs) index.refs.delete(r);
        });
        for (const r of refs) records.push({ Untagged: familiarString(r) });
      }
    }
    await this.deleteImage(id, records, force, prune, quiet, reclaimed);
    return { records, reclaimed: reclaimed.bytes };
  }

  private async checkConflicts(
    id: string,
    force: boolean,
    ignoreRefs = false,
  ): Promise<{ msg: string; used: boolean } | undefined> {
    const { index } = this.ctx;
    const fail = (msg: string, used: boolean) => ({ msg, used });
    if (index.children(id).length > 0) {
      return fail(
        `conflict: unable to delete ${short(id)} (cannot be forced) - image has dependent child images`,
        false,
      );
    }
    const user = await this.inUse(id);
    if (user?.running) {
      return fail(
        `conflict: unable to delete ${short(id)} (cannot be forced) - image is being used by running container ${short(user.containerId)}`,
        true,
      );
    }
    if (force) return undefined;
    if (!ignoreRefs && index.refsOf(id).length > 0) {
      return fail(
        `conflict: unable to delete ${short(id)} (must be forced) - image is referenced in multiple repositories`,
        false,
      );
    }
    if (user) {
      return fail(
        `conflict: unable to delete ${short(id)} (must be forced) - image is being used by stopped container ${short(user.containerId)}`,
        true,
      );
    }
    return undefined;
  }

  private async deleteImage(
    id: string,
    records: RemoveResult[],
    force: boolean,
    prune: boolean,
    quiet: boolean,
    reclaimed: { bytes: number },
  ): Promise<void> {
    const { index } = this.ctx;
    const conflict = await this.checkConflicts(id, force);
    if (conflict) {
      // dockerd's imageIsDangling: no references and no child images
      const dangling = index.refsOf(id).length === 0 && index.children(id).length === 0;
      if (quiet && (!dangling || conflict.used)) return;
      throw new EngineError('CONFLICT', conflict.msg);
    }
    const img = index.images.get(id);
    if (!img) return;
    const refs = index.refsOf(id);
    await index.mutate(() => {
      for (const r of refs) index.refs.delete(r);
      index.images.delete(id);
    });
    for (const r of refs) records.push({ Untagged: familiarString(r) });
    records.push({ Deleted: id });
    if (!prune) return;
    reclaimed.bytes += await this.collectLayers(img.stored.chainIds);
    await this.collectBlobs([
      img.stored.manifestDigest,
      img.manifest.config.digest,
      ...img.manifest.layers.map((l) => l.digest),
    ]);
    if (img.stored.parent && index.images.has(img.stored.parent)) {
      await this.deleteImage(img.stored.parent, records, false, true, true, reclaimed);
    }
  }

  /** Remove the snapshots of a deleted image's chain that nothing else stands on; returns bytes freed. */
  async collectLayers(chainIds: string[]): Promise<number> {
    const used = new Set<string>();
    for (const img of this.ctx.index.images.values()) for (const c of img.stored.chainIds) used.add(c);
    let freed = 0;
    for (const chainId of [...chainIds].reverse()) {
      if (used.has(chainId)) break; // and so is everything below it
      const info = await this.ctx.snapshotter.stat(chainId);
      try {
        await this.ctx.snapshotter.remove(chainId);
      } catch (err) {
        if (isEngineError(err, 'CONFLICT')) break; // a container or another snapshot stands on it
        throw err;
      }
      freed += Number(info?.labels['berth.layer.size'] ?? 0);
    }
    return freed;
  }

  async collectBlobs(digests: string[]): Promise<void> {
    const used = new Set<string>();
    for (const img of this.ctx.index.images.values()) {
      used.add(img.stored.manifestDigest);
      used.add(img.manifest.config.digest);
      for (const l of img.manifest.layers) used.add(l.digest);
    }
    for (const d of digests) if (!used.has(d)) await this.ctx.content.delete(d);
  }
}
