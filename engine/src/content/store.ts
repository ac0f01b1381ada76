import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { assertDigest, digestHex, isDigest } from './digest.js';
import type { ContentStore, Descriptor, IngestOptions } from './types.js';

type Source = Readable | AsyncIterable<Uint8Array>;

/**
 * containerd's local content store: `<root>/content/blobs/sha256/<hex>`, written through
 * `<root>/content/ingest/<id>/data` and renamed into place only after the digest (and size,
 * when known) check out. A ref names a resumable ingest: its bytes survive a failed write, and
 * `resume` re-hashes them from disk (hash state cannot be persisted portably) before appending.
 */
export class LocalContentStore implements ContentStore {
  private readonly blobsDir: string;
  private readonly ingestDir: string;
  /** Ingest ids being written right now: a second writer for the same ref is refused. */
  private readonly active = new Set<string>();

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = join(root, 'content', 'ingest');
  }

  /** Create the directories and drop anonymous ingests left by a crash (ref'd ones stay resumable). */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
    for (const name of await readdir(this.ingestDir)) {
      if (name.startsWith('anon-')) await rm(join(this.ingestDir, name), { recursive: true, force: true });
    }
  }

  path(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  async ingest(source: Source, opts: IngestOptions = {}): Promise<Descriptor> {
    const id = opts.ref === undefined ? `anon-${randomBytes(8).toString('hex')}` : refId(opts.ref);
    return this.write(id, source, opts, false);
  }

  async resume(ref: string, source: Source, opts: IngestOptions): Promise<Descriptor> {
    return this.write(refId(ref), source, { ...opts, ref }, true);
  }

  async ingestOffset(ref: string): Promise<number> {
    try {
      return (await stat(join(this.ingestDir, refId(ref), 'data'))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  /** Drop a resumable ingest and its bytes. */
  async abort(ref: string): Promise<void> {
    await rm(join(this.ingestDir, refId(ref)), { recursive: true, force: true });
  }

  async info(digest: string): Promise<Descriptor | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  reader(digest: string): Readable {
    const path = this.path(digest);
    // One stat up front turns a missing blob into the catalogue's error instead of a raw ENOENT.
    if (!existsSync(path)) {
      const missing = new Readable({ read() {} });
      process.nextTick(() => missing.destroy(notFound(digest)));
      return missing;
    }
    return createReadStream(path);
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(digest);
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const name of await readdir(this.blobsDir)) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const desc = await this.info(digest);
      if (desc) out.push(desc);
    }
    return out;
  }

  private async write(id: string, source: Source, opts: IngestOptions, append: boolean): Promise<Descriptor> {
    if (opts.expectedDigest !== undefined) assertDigest(opts.expectedDigest);
    if (this.active.has(id))
      throw new EngineError('CONFLICT', `ingest ref ${opts.ref ?? id} is locked by another writer`);
    this.active.add(id);
    const dir = join(this.ingestDir, id);
    const data = join(dir, 'data');
    try {
      await mkdir(dir, { recursive: true });
      if (opts.ref !== undefined) await writeFile(join(dir, 'ref'), opts.ref);
      let hash = createHash('sha256');
      let offset = append ? await rehash(data, hash) : 0;
      if (opts.expectedSize !== undefined && offset > opts.expectedSize) {
        // More bytes than the blob can have: the partial data is wrong, start over.
        hash = createHash('sha256');
        offset = 0;
      }
      return await this.finish(dir, data, source, opts, hash, offset);
    } catch (err) {
      // A ref'd ingest keeps its bytes for a later resume unless they are known to be bad.
      if (opts.ref === undefined || err instanceof EngineError) await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      this.active.delete(id);
    }
  }

  private async finish(dir: string, data: string, source: Source, opts: IngestOptions, hash: Hash, offset: number) {
    // Explicit awaited writes rather than pipeline(): when the source fails mid-way, every byte
    // received so far must be on disk for a later resume (a destroyed WriteStream may drop them).
    const limit = opts.expectedSize === undefined ? undefined : opts.expectedSize - offset;
    let written = 0;
    const fh = await open(data, offset > 0 ? 'a' : 'w');
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        written += chunk.length;
        if (limit !== undefined && written > limit) {
          throw new EngineError(
            'DIGEST_MISMATCH',
            `${opts.expectedSize} bytes`,
            `more than ${opts.expectedSize} bytes`,
          );
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const size = offset + written;
    const digest = `sha256:${hash.digest('hex')}`;
    if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
      throw new EngineError('DIGEST_MISMATCH', `${opts.expectedSize} bytes`, `${size} bytes`);
    }
    if (opts.expectedDigest !== undefined && digest !== opts.expectedDigest) {
      throw new EngineError('DIGEST_MISMATCH', opts.expectedDigest, digest);
    }
    const target = this.path(digest);
    if (!(await this.has(digest))) {
      await chmod(data, 0o444);
      await rename(data, target);
    }
    await rm(dir, { recursive: true, force: true });
    return { digest, size };
  }
}

function refId(ref: string): string {
  // Refs are arbitrary strings (often digests or URLs): hash them into a safe directory name.
  return `ref-${createHash('sha256').update(ref).digest('hex').slice(0, 32)}`;
}

/** Feed the bytes already on disk back through the hash; returns how many there were. */
async function rehash(path: string, hash: Hash): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      n += (chunk as Buffer).length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return n;
}

function notFound(digest: string): EngineError {
  return new EngineError('INTERNAL', `content ${digest}: blob not found`);
}

/** Convenience for tests and small blobs. */
export function bufferSource(data: Uint8Array): Readable {
  return Readable.from([Buffer.from(data)]);
}
