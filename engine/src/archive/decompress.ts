import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { EngineError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression of a blob from its first bytes (what containerd's `compression.DecompressStream` does). */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Node 20's zlib has no zstd; fzstd decompresses in pure JS, one frame block at a time. */
class ZstdTransform extends Transform {
  private readonly z = new ZstdDecompress((data) => {
    this.push(Buffer.from(data));
  });
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.z.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.z.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

export interface DecompressOptions {
  /** Stop with INVALID_ARCHIVE once this many uncompressed bytes came out (gzip bombs). */
  maxBytes?: number;
}

/**
 * Uncompressed bytes of a possibly gzip- or zstd-compressed stream, detected by magic bytes.
 * Calls `onFormat` once the format is known.
 */
export async function* decompress(
  source: AsyncIterable<Uint8Array>,
  opts: DecompressOptions = {},
  onFormat?: (c: Compression) => void,
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) break;
    head.push(Buffer.from(r.value));
    headLen += r.value.length;
  }
  const first = Buffer.concat(head);
  const format = detectCompression(first);
  onFormat?.(format);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
  }
  const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  let out = 0;
  const bounded = function* (chunk: Buffer): Generator<Buffer> {
    out += chunk.length;
    if (out > max) throw new EngineError('INVALID_ARCHIVE', `uncompressed data exceeds the ${max}-byte limit`);
    yield chunk;
  };
  if (format === 'none') {
    for await (const chunk of rest()) yield* bounded(chunk);
    return;
  }
  const input = Readable.from(rest(), { objectMode: false });
  const decoder = format === 'gzip' ? createGunzip() : new ZstdTransform();
  input.on('error', (err) => decoder.destroy(err));
  input.pipe(decoder);
  try {
    for await (const chunk of decoder) yield* bounded(chunk as Buffer);
  } finally {
    // stop reading the source when the consumer gave up (bomb, bad tar) or we are done
    input.destroy();
    decoder.destroy();
    await it.return?.();
  }
}
