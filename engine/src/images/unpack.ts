import { applyLayerToSnapshot } from '../archive/snapshot.js';
import { chainIds as computeChainIds } from '../content/digest.js';
import type { ContentStore } from '../content/types.js';
import { EngineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Snapshotter } from '../snapshots/types.js';
import type { ImageConfig, ImageManifest } from '../types/oci.js';
import type { ProgressFn } from './types.js';

export const LAYER_SIZE_LABEL = 'berth.layer.size';

/**
 * Layers → committed snapshots named by chainID (containerd's unpacker): a chain already on disk
 * is reused, and concurrent unpacks of the same chainID share one extraction.
 */
export class Unpacker {
  private readonly inflight = new Map<string, Promise<number>>();
  /** Extractions fed by a download in progress (pull), by chainID: the size, or undefined if it failed. */
  private readonly streaming = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly content: ContentStore,
    private readonly snapshotter: Snapshotter,
    private readonly log?: Logger,
  ) {}

  /** Unpack every layer; returns the chainIDs and each layer's uncompressed size, bottom first. */
  async unpack(
    manifest: ImageManifest,
    config: ImageConfig,
    progress?: ProgressFn,
  ): Promise<{ chainIds: string[]; sizes: number[] }> {
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new EngineError(
        'INVALID_ARCHIVE',
        `image has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff_ids`,
      );
    }
    const chain = computeChainIds(diffIds);
    const sizes: number[] = [];
    for (let i = 0; i < chain.length; i++) {
      sizes.push(await this.unpackOne(manifest, diffIds, chain, i, progress));
    }
    return { chainIds: chain, sizes };
  }

  private async unpackOne(
    manifest: ImageManifest,
    diffIds: string[],
    chain: string[],
    i: number,
    progress?: ProgressFn,
  ): Promise<number> {
    const chainId = chain[i]!;
    const streamed = await this.streaming.get(chainId);
    this.streaming.delete(chainId);
    if (streamed !== undefined) {
      // Extracted while it downloaded: the progress a client expects, all at once.
      const layer = manifest.layers[i]!;
      const id = layer.digest.slice(7, 19);
      progress?.({ status: 'Loading layer', id, progressDetail: { current: layer.size, total: layer.size } });
      return streamed;
    }
    const existing = await this.snapshotter.stat(chainId);
    if (existing) return Number(existing.labels[LAYER_SIZE_LABEL] ?? 0);
    let running = this.inflight.get(chainId);
    if (!running) {
      const layer = manifest.layers[i]!;
      const id = layer.digest.slice(7, 19);
      running = (async () => {
        progress?.({ status: 'Loading layer', id, progressDetail: { current: 0, total: layer.size } });
        const res = await applyLayerToSnapshot(
          this.snapshotter,
          chainId,
          chain[i - 1],
          this.content.reader(layer.digest),
          {
            expectedDiffId: diffIds[i]!,
            ...(this.log ? { log: this.log } : {}),
          },
        );
        progress?.({ status: 'Loading layer', id, progressDetail: { current: layer.size, total: layer.size } });
        this.log?.debug({ chainId, diffId: res.diffId }, 'layer unpacked');
        return res.size;
      })().finally(() => this.inflight.delete(chainId));
      this.inflight.set(chainId, running);
    }
    return running;
  }

  /**
   * Extract a layer from its bytes while they download (pull), so extraction overlaps the
   * transfer instead of following it. Only when its parent chain is already on disk (the bottom
   * layer, or a layer over a base the host has) and nobody unpacks that chain yet; returns false
   * otherwise and the caller does not feed `source`. A failed or abandoned extraction is dropped
   * quietly: the later unpack() extracts from the content store as usual and reports the error.
   */
  async unpackWhileDownloading(
    diffIds: string[],
    i: number,
    source: AsyncIterable<Uint8Array>,
    onSettled: (ok: boolean) => void,
  ): Promise<boolean> {
    const chain = computeChainIds(diffIds);
    const chainId = chain[i];
    const parent = chain[i - 1];
    if (!chainId || this.inflight.has(chainId) || this.streaming.has(chainId)) return false;
    if (await this.snapshotter.stat(chainId)) return false;
    if (parent !== undefined && !(await this.snapshotter.stat(parent))) return false;
    const running = applyLayerToSnapshot(this.snapshotter, chainId, parent, source, {
      expectedDiffId: diffIds[i]!,
      ...(this.log ? { log: this.log } : {}),
    }).then(
      (res) => {
        onSettled(true);
        return res.size;
      },
      (err: unknown) => {
        this.log?.debug({ chainId, err: String(err) }, 'unpack during download abandoned');
        onSettled(false);
        return undefined;
      },
    );
    this.streaming.set(chainId, running);
    // A finished extraction stays listed until unpack() takes it (it reports its progress then);
    // a failed one goes at once.
    void running.then((size) => {
      if (size === undefined && this.streaming.get(chainId) === running) this.streaming.delete(chainId);
    });
    return true;
  }
}
