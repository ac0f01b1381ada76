import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unpacker } from '../../src/images/unpack.js';
import { buildBusyboxDockerArchive, type DockerArchive } from '../fixtures/busybox.js';
import { collect, newStore } from './helpers.js';

let archive: DockerArchive;
beforeAll(async () => {
  archive = await buildBusyboxDockerArchive();
});
afterAll(async () => {
  await archive.cleanup();
});

describe('Unpacker', () => {
  it('unpacks each chainID once, even when asked concurrently', async () => {
    const t = await newStore();
    try {
      await t.store.load(createReadStream(archive.path));
      const img = await t.store.get('busybox');
      // forget the snapshot, then unpack the same image three times at once
      await t.store.snapshotter.remove(img.chainIds[0]!);
      let prepares = 0;
      const sn = t.store.snapshotter;
      const prepare = sn.prepare.bind(sn);
      sn.prepare = (...args) => {
        prepares++;
        return prepare(...args);
      };
      const unpacker = new Unpacker(t.store.content, sn);
      const results = await Promise.all([1, 2, 3].map(() => unpacker.unpack(img.manifest, img.config)));
      expect(prepares).toBe(1);
      expect(results.map((r) => r.chainIds)).toEqual([img.chainIds, img.chainIds, img.chainIds]);
      expect(new Set(results.map((r) => r.sizes[0])).size).toBe(1);
      expect((await sn.list()).map((s) => s.key)).toEqual(img.chainIds);
      // already on disk: nothing prepared
      await unpacker.unpack(img.manifest, img.config);
      expect(prepares).toBe(1);
    } finally {
      await t.cleanup();
    }
  });

  it('uses a layer extracted while it downloaded, and falls back to the content store when that failed', async () => {
    const t = await newStore();
    try {
      await t.store.load(createReadStream(archive.path));
      const img = await t.store.get('busybox');
      const layer = img.manifest.layers[0]!;
      const bytes = await collect(t.store.content.reader(layer.digest));
      const diffIds = img.config.rootfs?.diff_ids ?? [];
      const sn = t.store.snapshotter;
      let reads = 0;
      const content = Object.create(t.store.content) as typeof t.store.content;
      content.reader = (digest) => {
        reads++;
        return t.store.content.reader(digest);
      };
      const unpacker = new Unpacker(content, sn);

      // Streamed in two halves, as a download would: unpack() then reads nothing from the store.
      await sn.remove(img.chainIds[0]!);
      const settled: boolean[] = [];
      const half = Math.floor(bytes.length / 2);
      async function* download(cut = false) {
        yield bytes.subarray(0, half);
        await new Promise((r) => setTimeout(r, 20));
        if (cut) throw new Error('connection reset');
        yield bytes.subarray(half);
      }
      expect(await unpacker.unpackWhileDownloading(diffIds, 0, download(), (ok) => settled.push(ok))).toBe(true);
      // Not twice at once.
      expect(await unpacker.unpackWhileDownloading(diffIds, 0, download(), () => {})).toBe(false);
      const first = await unpacker.unpack(img.manifest, img.config);
      expect(first.chainIds).toEqual(img.chainIds);
      expect(settled).toEqual([true]);
      expect(reads).toBe(0);

      // A download cut short: its extraction is dropped (no active snapshot left) and unpack()
      // extracts from the content store instead.
      await sn.remove(img.chainIds[0]!);
      expect(await unpacker.unpackWhileDownloading(diffIds, 0, download(true), (ok) => settled.push(ok))).toBe(true);
      const second = await unpacker.unpack(img.manifest, img.config);
      expect(second.sizes).toEqual(first.sizes);
      expect(settled).toEqual([true, false]);
      expect(reads).toBe(1);
      expect((await sn.list()).map((s) => s.key)).toEqual(img.chainIds);

      // Already on disk: nothing to stream.
      expect(await unpacker.unpackWhileDownloading(diffIds, 0, download(), () => {})).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});
