import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainIds, sha256Digest } from '../../src/content/digest.js';
import { LocalContentStore } from '../../src/content/store.js';
import { isEngineError } from '../../src/errors.js';

let root: string;
let store: LocalContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  store = new LocalContentStore(root);
  await store.init();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A source that yields some chunks and then fails, like a dropped registry connection. */
async function* failingAfter(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
  throw new Error('connection reset');
}

describe('LocalContentStore', () => {
  it('stores a blob under its sha256 and reads it back', async () => {
    const data = Buffer.from('hello berth');
    const desc = await store.ingest(Readable.from([data]));
    expect(desc).toEqual({ digest: sha256Digest(data), size: data.length });
    expect(store.path(desc.digest)).toBe(join(root, 'content/blobs/sha256', desc.digest.slice(7)));
    expect(await store.readBuffer(desc.digest)).toEqual(data);
    expect(await store.has(desc.digest)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of store.reader(desc.digest)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(data);
    expect((await store.list()).map((d) => d.digest)).toEqual([desc.digest]);
    // nothing left in the ingest area
    expect(await readdir(join(root, 'content/ingest'))).toEqual([]);
  });

  it('refuses a blob whose digest or size does not match and keeps nothing', async () => {
    const data = Buffer.from('abc');
    await expect(store.ingest(Readable.from([data]), { expectedDigest: sha256Digest('other') })).rejects.toSatisfy(
      (e) => isEngineError(e, 'DIGEST_MISMATCH'),
    );
    await expect(store.ingest(Readable.from([data]), { expectedSize: 2 })).rejects.toSatisfy((e) =>
      isEngineError(e, 'DIGEST_MISMATCH'),
    );
    await expect(store.ingest(Readable.from([data]), { expectedSize: 4 })).rejects.toSatisfy((e) =>
      isEngineError(e, 'DIGEST_MISMATCH'),
    );
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(root, 'content/ingest'))).toEqual([]);
  });

  it('resumes a ref from the bytes already written, re-hashing them from disk', async () => {
    const full = Buffer.from('0123456789abcdefghij');
    const digest = sha256Digest(full);
    const ref = `pull-${digest}`;
    await expect(store.ingest(failingAfter([full.subarray(0, 7)]), { ref })).rejects.toThrow('connection reset');
    expect(await store.ingestOffset(ref)).toBe(7);
    expect(await store.has(digest)).toBe(false);
    // a fresh store instance (daemon restart) sees the same offset
    const again = new LocalContentStore(root);
    await again.init();
    expect(await again.ingestOffset(ref)).toBe(7);
    const desc = await again.resume(ref, Readable.from([full.subarray(7)]), {
      expectedDigest: digest,
      expectedSize: full.length,
    });
    expect(desc).toEqual({ digest, size: full.length });
    expect(await again.ingestOffset(ref)).toBe(0);
    expect(await again.readBuffer(digest)).toEqual(full);
  });

  it('a resume with wrong bytes fails the digest check and drops the partial data', async () => {
    const full = Buffer.from('the real blob');
    const ref = 'r1';
    await expect(store.ingest(failingAfter([Buffer.from('the ')]), { ref })).rejects.toThrow();
    await expect(
      store.resume(ref, Readable.from([Buffer.from('fake blob')]), { expectedDigest: sha256Digest(full) }),
    ).rejects.toSatisfy((e) => isEngineError(e, 'DIGEST_MISMATCH'));
    expect(await store.ingestOffset(ref)).toBe(0);
  });

  it('refuses a second concurrent writer on the same ref', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a');
      await gate;
      yield Buffer.from('b');
    }
    const first = store.ingest(slow(), { ref: 'same' });
    await expect(store.ingest(Readable.from([Buffer.from('x')]), { ref: 'same' })).rejects.toSatisfy((e) =>
      isEngineError(e, 'CONFLICT'),
    );
    release();
    expect((await first).size).toBe(2);
  });

  it('rejects malformed digests instead of building paths from them', async () => {
    expect(() => store.path('sha256:../../etc/passwd')).toThrow();
    await expect(store.readBuffer('sha256:abc')).rejects.toSatisfy((e) => isEngineError(e, 'BAD_PARAMETER'));
    const missing = sha256Digest('missing');
    await expect(store.readBuffer(missing)).rejects.toThrow(/not found/);
    await expect(async () => {
      for await (const _ of store.reader(missing)) void _;
    }).rejects.toThrow(/not found/);
    expect(await store.info(missing)).toBeUndefined();
  });

  it('deletes blobs and drops anonymous ingests on init', async () => {
    const desc = await store.ingest(Readable.from([Buffer.from('x')]));
    await store.delete(desc.digest);
    expect(existsSync(store.path(desc.digest))).toBe(false);
    await expect(store.ingest(failingAfter([Buffer.from('partial')]))).rejects.toThrow();
    expect(await readdir(join(root, 'content/ingest'))).toEqual([]);
  });

  it('computes chain ids like containerd', () => {
    const a = sha256Digest('a');
    const b = sha256Digest('b');
    expect(chainIds([a, b])).toEqual([a, sha256Digest(`${a} ${b}`)]);
  });
});
