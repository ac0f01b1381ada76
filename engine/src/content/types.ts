import type { Readable } from 'node:stream';

/** A blob's identity: `sha256:<64 hex>` and its size in bytes. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
}

export interface IngestOptions {
  /** When set, the written bytes must hash to this digest or the write is refused (DIGEST_MISMATCH). */
  expectedDigest?: string;
  expectedSize?: number;
  /**
   * A stable name for a resumable write (e.g. the digest being pulled): a later ingest with the
   * same ref and `resume: true` continues from the bytes already on disk.
   */
  ref?: string;
}

/**
 * content: blobs by sha256 digest (containerd's `content` store). Every write is verified and
 * atomic: data goes to an ingest file and is renamed into place only once its digest checks out,
 * so a half-written blob is never visible.
 */
export interface ContentStore {
  ingest(source: Readable | AsyncIterable<Uint8Array>, opts?: IngestOptions): Promise<Descriptor>;
  /** Bytes already written for a resumable ingest ref (0 when none). */
  ingestOffset(ref: string): Promise<number>;
  /** Drop a resumable ingest and the bytes written for it. */
  abort(ref: string): Promise<void>;
  /** Continue a resumable ingest from its current offset. */
  resume(ref: string, source: Readable | AsyncIterable<Uint8Array>, opts: IngestOptions): Promise<Descriptor>;
  info(digest: string): Promise<Descriptor | undefined>;
  has(digest: string): Promise<boolean>;
  reader(digest: string): Readable;
  readBuffer(digest: string): Promise<Buffer>;
  /** Absolute path of a committed blob (for streaming it out without a copy). */
  path(digest: string): string;
  delete(digest: string): Promise<void>;
  list(): Promise<Descriptor[]>;
}
