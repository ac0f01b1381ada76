import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/distribution/client.js';
import { Endpoints } from '../../src/distribution/transport.js';
import { isEngineError } from '../../src/errors.js';
import { MediaTypes } from '../../src/types/oci.js';
import { imageOf, indexOf, layerOf, tarOf, uploadImage } from './harness/blobs.js';
import { collect, TestEngine } from './harness/engine.js';
import { TestRegistry } from './harness/registry.js';

/** Manifest kinds a pull must handle: indexes with platform choice, OCI manifests, zstd and plain layers. */
describe('manifest kinds', () => {
  let registry: TestRegistry;
  let engine: TestEngine;
  const endpoints = new Endpoints(undefined);

  beforeAll(async () => {
    registry = await TestRegistry.create();
    engine = await TestEngine.create();
  });
  afterAll(async () => {
    await endpoints.close();
    await engine?.destroy();
    await registry?.destroy();
  });

  it('picks the host platform from an index, and --platform picks another', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, undefined);
    const amd64 = imageOf([await layerOf(await tarOf({ 'arch.txt': 'amd64\n' }))], {
      architecture: 'amd64',
      label: 'amd64',
      oci: true,
    });
    const arm64 = imageOf([await layerOf(await tarOf({ 'arch.txt': 'arm64\n' }))], {
      architecture: 'arm64',
      variant: 'v8',
      label: 'arm64',
      oci: true,
    });
    await uploadImage(client, 'multi/app', amd64.manifest.digest, amd64);
    await uploadImage(client, 'multi/app', arm64.manifest.digest, arm64);
    const index = indexOf([arm64, amd64]);
    await client.putManifest('multi/app', 'v1', MediaTypes.ociIndex, index.data);

    const ref = `${registry.host}/multi/app:v1`;
    const host = await engine.distribution.pull(ref, {}, () => {});
    expect(host.id).toBe(amd64.config.digest);
    expect(host.manifestDigest).toBe(amd64.manifest.digest);
    // The repo digest is the index's, as docker records it.
    expect(host.repoDigests).toContain(`${registry.host}/multi/app@${index.digest}`);

    const other = await engine.distribution.pull(ref, { platform: 'linux/arm64' }, () => {});
    expect(other.id).toBe(arm64.config.digest);
    expect((await engine.images.get(ref)).id).toBe(arm64.config.digest);
    const dir = await engine.snapshotter.upperDir(other.chainIds.at(-1) ?? '');
    expect(await readFile(join(dir, 'arch.txt'), 'utf8')).toBe('arm64\n');

    const none = await engine.distribution.pull(ref, { platform: 'linux/s390x' }, () => {}).catch((e: unknown) => e);
    expect(isEngineError(none, 'NO_SUCH_IMAGE')).toBe(true);
    expect((none as Error).message).toContain('no matching manifest for linux/s390x');

    // A single-platform manifest that does not match an explicit --platform is refused.
    const single = await engine.distribution
      .pull(`${registry.host}/multi/app@${arm64.manifest.digest}`, { platform: 'linux/amd64' }, () => {})
      .catch((e: unknown) => e);
    expect(isEngineError(single, 'NO_SUCH_IMAGE')).toBe(true);
  });

  it('pulls and unpacks zstd and uncompressed layers', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, undefined);
    const text = 'compressed with zstd\n'.repeat(500);
    const zstdLayer = await layerOf(await tarOf({ 'z.txt': text }), 'zstd', true);
    const plainLayer = await layerOf(await tarOf({ 'plain.txt': 'plain\n' }), 'none', true);
    expect(zstdLayer.data.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    const image = imageOf([zstdLayer, plainLayer], { oci: true });
    await uploadImage(client, 'kinds/zstd', 'v1', image);

    const progress = collect();
    const record = await engine.distribution.pull(`${registry.host}/kinds/zstd:v1`, {}, progress.fn);
    expect(record.id).toBe(image.config.digest);
    expect(await readFile(join(await engine.snapshotter.upperDir(record.chainIds[0] ?? ''), 'z.txt'), 'utf8')).toBe(
      text,
    );
    expect(await readFile(join(await engine.snapshotter.upperDir(record.chainIds[1] ?? ''), 'plain.txt'), 'utf8')).toBe(
      'plain\n',
    );
    expect(progress.statuses(zstdLayer.digest.slice(7, 19))).toContain('Pull complete');
  });
});
