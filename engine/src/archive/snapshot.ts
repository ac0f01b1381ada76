import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { mountDirs } from '../snapshots/mounts.js';
import type { Snapshotter } from '../snapshots/types.js';
import { type ApplyOptions, type ApplyResult, applyLayer } from './apply.js';

/**
 * Apply one layer as a new committed snapshot: prepare an active snapshot over `parent`, extract
 * into its upper directory, check the diffID when one is expected, commit it as `name`. On any
 * failure the active snapshot is removed, so a bad layer never leaves a partial snapshot.
 */
export async function applyLayerToSnapshot(
  snapshotter: Snapshotter,
  /** The committed snapshot's name, or a function of the result when it depends on the diffID. */
  name: string | ((result: ApplyResult) => string),
  parent: string | undefined,
  source: Readable | AsyncIterable<Uint8Array>,
  opts: ApplyOptions & { expectedDiffId?: string; labels?: Record<string, string> } = {},
): Promise<ApplyResult> {
  const key = `extract-${process.hrtime.bigint()}`;
  const mounts = await snapshotter.prepare(key, parent);
  try {
    const { upper, lowers } = mountDirs(mounts);
    const result = await applyLayer(source, upper, { ...opts, lowerDirs: lowers });
    if (opts.expectedDiffId !== undefined && result.diffId !== opts.expectedDiffId) {
      throw new EngineError('DIGEST_MISMATCH', opts.expectedDiffId, result.diffId);
    }
    const target = typeof name === 'string' ? name : name(result);
    if (await snapshotter.stat(target)) {
      // the same layer was unpacked meanwhile (or imported twice): keep the existing snapshot
      await snapshotter.remove(key);
      return result;
    }
    await snapshotter.commit(target, key, {
      ...opts.labels,
      'berth.layer.diffid': result.diffId,
      'berth.layer.size': String(result.size),
    });
    return result;
  } catch (err) {
    await snapshotter.remove(key).catch(() => undefined);
    throw err;
  }
}
