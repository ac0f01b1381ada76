import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unpacker } from '../../src/images/unpack.js';
import { buildBusyboxDockerArchive, type DockerArchive } from '../fixtures/busybox.js';
import { newStore } from './helpers.js';

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
});
