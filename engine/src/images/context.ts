import type { ContentStore } from '../content/types.js';
import type { Logger } from '../log.js';
import type { Snapshotter } from '../snapshots/types.js';
import type { ImageIndex } from './store.js';
import type { ImageRecord, ProgressFn } from './types.js';
import type { Unpacker } from './unpack.js';

export interface RegisterOptions {
  /** Normalized `name:tag` references to point at the image. */
  tags?: string[];
  /** Normalized `name@sha256:…` of the manifest as pulled or pushed. */
  repoDigest?: string;
  parent?: string;
}

/** What the image operations (import, load, save, commit) share; implemented by ImageStore. */
export interface ImageContext {
  readonly content: ContentStore;
  readonly snapshotter: Snapshotter;
  readonly index: ImageIndex;
  readonly unpacker: Unpacker;
  readonly log: Logger;
  /**
   * Record an image whose manifest, config and layers are in the content store: unpack its
   * layers, store it, move the given tags to it. Returns the record and the notices dockerd
   * prints when a tag moves away from another image.
   */
  register(
    manifestDigest: string,
    opts: RegisterOptions,
    progress?: ProgressFn,
  ): Promise<{ record: ImageRecord; notices: string[] }>;
}
