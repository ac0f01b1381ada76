import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { busyboxRootfsTar } from '../fixtures/busybox.js';
import { minbaseRootfsTar } from './harness/debootstrap.js';
import { collect, TestEngine } from './harness/engine.js';
import { TestRegistry } from './harness/registry.js';

/** The top layer's own files (its committed snapshot's directory). */
function topLayerDir(engine: TestEngine, chainId: string): Promise<string> {
  return engine.snapshotter.upperDir(chainId);
}

describe('push and pull round trips (open registry)', () => {
  let registry: TestRegistry;
  let source: TestEngine;

  beforeAll(async () => {
    registry = await TestRegistry.create();
    source = await TestEngine.create();
  });
  afterAll(async () => {
    await source?.destroy();
    await registry?.destroy();
  });

  it('pushes busybox, skips what the registry has, mounts across repositories, pulls it back elsewhere', async () => {
    const ref = `${registry.host}/rt/busybox:v1`;
    const imported = await source.images.importRootfs(Readable.from([await busyboxRootfsTar()]), { reference: ref });

    const push = collect();
    const [result] = await source.distribution.push(ref, {}, push.fn);
    const layerId =
      imported.chainIds.length === 1
        ? (await source.images.get(ref)).manifest.layers[0]?.digest.slice(7, 19)
        : undefined;
    expect(layerId).toBeDefined();
    expect(push.events[0]).toEqual({ status: `The push refers to repository [${registry.host}/rt/busybox]` });
    expect(push.statuses(layerId)).toEqual(expect.arrayContaining(['Preparing', 'Pushing', 'Pushed']));
    expect(result).toMatchObject({ Tag: 'v1', Digest: imported.manifestDigest });
    expect(push.events).toContainEqual({ status: `v1: digest: ${imported.manifestDigest} size: ${result?.Size}` });
    expect(push.events.at(-1)).toEqual({
      progressDetail: {},
      aux: { Tag: 'v1', Digest: imported.manifestDigest, Size: result?.Size },
    });

    const again = collect();
    await source.distribution.push(ref, {}, again.fn);
    expect(again.statuses(layerId)).toEqual(['Preparing', 'Layer already exists']);

    const copy = `${registry.host}/rt/copy:v1`;
    await source.images.tag(ref, `${registry.host}/rt/copy`, 'v1');
    const mounted = collect();
    await source.distribution.push(copy, {}, mounted.fn);
    expect(mounted.statuses(layerId)).toEqual(['Preparing', 'Mounted from rt/busybox']);

    // A fresh engine stands in for "removed locally": nothing cached, everything from the registry.
    const target = await TestEngine.create();
    try {
      const pull = collect();
      const pulled = await target.distribution.pull(ref, {}, pull.fn);
      expect(pulled.id).toBe(imported.id);
      expect(pulled.repoDigests).toContain(`${registry.host}/rt/busybox@${imported.manifestDigest}`);
      expect(pull.events[0]).toEqual({ status: 'Pulling from rt/busybox', id: 'v1' });
      expect(pull.statuses(layerId)).toEqual(
        expect.arrayContaining([
          'Pulling fs layer',
          'Downloading',
          'Verifying Checksum',
          'Download complete',
          'Extracting',
          'Pull complete',
        ]),
      );
      const order = pull.statuses(layerId);
      expect(order.indexOf('Download complete')).toBeLessThan(order.indexOf('Pull complete'));
      expect(pull.events.at(-2)).toEqual({ status: `Digest: ${imported.manifestDigest}` });
      expect(pull.events.at(-1)).toEqual({
        status: `Status: Downloaded newer image for ${registry.host}/rt/busybox:v1`,
      });
      const dir = await topLayerDir(target, pulled.chainIds.at(-1) ?? '');
      expect((await readFile(join(dir, 'bin/busybox'))).equals(await readFile('/bin/busybox'))).toBe(true);

      const second = collect();
      await target.distribution.pull(ref, {}, second.fn);
      expect(second.statuses(layerId)).toEqual(['Already exists']);
      expect(second.events.at(-1)).toEqual({
        status: `Status: Image is up to date for ${registry.host}/rt/busybox:v1`,
      });

      // By digest: no tag, the digest recorded.
      const byDigest = await target.distribution.pull(
        `${registry.host}/rt/busybox@${imported.manifestDigest}`,
        {},
        () => {},
      );
      expect(byDigest.id).toBe(imported.id);
    } finally {
      await target.destroy();
    }
  });

  it('pushes every local tag of a repository when no tag is given', async () => {
    const repo = `${registry.host}/rt/tags`;
    await source.images.importRootfs(Readable.from([await busyboxRootfsTar()]), { reference: `${repo}:one` });
    await source.images.tag(`${repo}:one`, repo, 'two');
    const results = await source.distribution.push(repo, {}, () => {});
    expect(results.map((r) => r.Tag)).toEqual(['one', 'two']);
    const target = await TestEngine.create();
    try {
      expect((await target.distribution.pull(`${repo}:two`, {}, () => {})).repoTags).toContain(`${repo}:two`);
    } finally {
      await target.destroy();
    }
  });

  it('refuses unknown images and tags', async () => {
    const err = await source.distribution.pull(`${registry.host}/rt/none:v1`, {}, () => {}).catch((e: unknown) => e);
    expect(isEngineError(err, 'NO_SUCH_IMAGE')).toBe(true);
    const pushErr = await source.distribution
      .push(`${registry.host}/rt/none:v1`, {}, () => {})
      .catch((e: unknown) => e);
    expect(isEngineError(pushErr, 'NO_SUCH_IMAGE')).toBe(true);
  });

  it('round-trips a debootstrap minbase image', { timeout: 300_000 }, async () => {
    const tar = await minbaseRootfsTar();
    const ref = `${registry.host}/rt/minbase:bookworm`;
    const imported = await source.images.importRootfs(createReadStream(tar), { reference: ref });
    await source.distribution.push(ref, {}, () => {});
    const target = await TestEngine.create();
    try {
      const pulled = await target.distribution.pull(ref, {}, () => {});
      expect(pulled.id).toBe(imported.id);
      const dir = await topLayerDir(target, pulled.chainIds.at(-1) ?? '');
      expect((await readFile(join(dir, 'etc/debian_version'), 'utf8')).trim()).toMatch(/^12\./);
    } finally {
      await target.destroy();
    }
  });
});
