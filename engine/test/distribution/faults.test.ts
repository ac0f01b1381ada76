import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/distribution/client.js';
import { pullIngestRef } from '../../src/distribution/pull.js';
import { Endpoints } from '../../src/distribution/transport.js';
import { isEngineError } from '../../src/errors.js';
import { imageOf, layerOf, type TestImage, tarOf, uploadImage } from './harness/blobs.js';
import { collect, TestEngine } from './harness/engine.js';
import { FaultProxy } from './harness/proxy.js';
import { TestRegistry } from './harness/registry.js';

/**
 * Pulls through a proxy that breaks blob downloads: a cut connection is resumed with Range (within
 * a pull, and across pulls after the registry itself died); corrupted bytes are refused and leave
 * neither an image nor a blob behind.
 */
describe('pull faults', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: TestImage;
  const endpoints = new Endpoints(undefined);
  let engine: TestEngine | undefined;

  beforeAll(async () => {
    registry = await TestRegistry.create();
    proxy = await FaultProxy.start(registry.port);
    // Random bytes do not compress: the big layer stays ~8 MiB on the wire.
    const big = await layerOf(await tarOf({ 'big.bin': randomBytes(8 << 20) }));
    const small = await layerOf(await tarOf({ 'small.txt': 'small\n' }));
    image = imageOf([small, big]);
    const client = await RegistryClient.connect(endpoints, registry.host, undefined);
    await uploadImage(client, 'faults/app', 'v1', image);
  });
  afterEach(async () => {
    proxy.faults.clear();
    proxy.seen.length = 0;
    proxy.redirectBlobs = false;
    await engine?.destroy();
    engine = undefined;
  });
  afterAll(async () => {
    await endpoints.close();
    await proxy?.stop();
    await registry?.destroy();
  });

  const big = () => image.layers[1]!;
  const small = () => image.layers[0]!;
  const gets = (digest: string) => proxy.seen.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${digest}`));

  it('resumes a cut download with a Range request inside one pull', async () => {
    engine = await TestEngine.create();
    proxy.faults.set(big().digest, { cutAfter: 3 << 20, times: 1 });
    const progress = collect();
    const record = await engine.distribution.pull(`${proxy.host}/faults/app:v1`, {}, progress.fn);
    expect(record.id).toBe(image.config.digest);
    const tries = gets(big().digest);
    expect(tries).toHaveLength(2);
    expect(tries[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(tries[1]?.range ?? '')?.[1])).toBeGreaterThan(0);
  });

  it('leaves no image when the registry dies mid-layer, and the next pull resumes', async () => {
    engine = await TestEngine.create();
    const ref = `${proxy.host}/faults/app:v1`;
    // Cut the big layer and kill the registry: every retry then finds nobody listening.
    let killed: Promise<void> = Promise.resolve();
    proxy.faults.set(big().digest, {
      cutAfter: 2 << 20,
      times: 1,
      onCut: () => {
        killed = registry.kill();
      },
    });
    const err = await engine.distribution.pull(ref, {}, () => {}).catch((e: unknown) => e);
    await killed;
    expect(err).toBeInstanceOf(Error);
    expect(isEngineError(await engine.images.get(ref).catch((e: unknown) => e), 'NO_SUCH_IMAGE')).toBe(true);
    expect(await engine.content.has(small().digest)).toBe(true);
    const offset = await engine.content.ingestOffset(pullIngestRef(big().digest));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(big().size);

    await registry.start();
    proxy.seen.length = 0;
    const progress = collect();
    const record = await engine.distribution.pull(ref, {}, progress.fn);
    expect(record.id).toBe(image.config.digest);
    expect(gets(small().digest)).toHaveLength(0);
    expect(progress.statuses(small().digest.slice(7, 19))).toContain('Already exists');
    expect(gets(big().digest).map((r) => r.range)).toEqual([`bytes=${offset}-`]);
  });

  it('refuses corrupted bytes and keeps neither image nor blob', async () => {
    engine = await TestEngine.create();
    const ref = `${proxy.host}/faults/app:v1`;
    proxy.faults.set(big().digest, { corruptAt: 1000 });
    const err = await engine.distribution.pull(ref, {}, () => {}).catch((e: unknown) => e);
    expect(isEngineError(err, 'DIGEST_MISMATCH')).toBe(true);
    expect(isEngineError(await engine.images.get(ref).catch((e: unknown) => e), 'NO_SUCH_IMAGE')).toBe(true);
    expect(await engine.content.has(big().digest)).toBe(false);
    expect(await engine.content.ingestOffset(pullIngestRef(big().digest))).toBe(0);
    // Bad bytes are final: no retry of a mismatching blob.
    expect(gets(big().digest)).toHaveLength(1);

    proxy.faults.clear();
    expect((await engine.distribution.pull(ref, {}, () => {})).id).toBe(image.config.digest);
  });

  it('refuses a manifest whose bytes do not hash to the digest pulled', async () => {
    engine = await TestEngine.create();
    proxy.faults.set(image.manifest.digest, { corruptAt: 10 });
    const err = await engine.distribution
      .pull(`${proxy.host}/faults/app@${image.manifest.digest}`, {}, () => {})
      .catch((e: unknown) => e);
    expect(isEngineError(err, 'DIGEST_MISMATCH')).toBe(true);
    expect(await engine.content.has(image.manifest.digest)).toBe(false);
  });

  it('stops a cancelled pull (client gone) and resumes it later', async () => {
    engine = await TestEngine.create();
    const ref = `${proxy.host}/faults/app:v1`;
    proxy.faults.set(big().digest, { stallAfter: 1 << 20, times: 1 });
    const abort = new AbortController();
    const err = await engine.distribution
      .pull(ref, { signal: abort.signal }, (e) => {
        if (e.status === 'Downloading' && (e.progressDetail?.current ?? 0) >= 1 << 20)
          abort.abort(new Error('client went away'));
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('client went away');
    expect(isEngineError(await engine.images.get(ref).catch((e: unknown) => e), 'NO_SUCH_IMAGE')).toBe(true);
    const offset = await engine.content.ingestOffset(pullIngestRef(big().digest));
    expect(offset).toBe(1 << 20);

    proxy.seen.length = 0;
    expect((await engine.distribution.pull(ref, {}, () => {})).id).toBe(image.config.digest);
    expect(gets(big().digest).map((r) => r.range)).toEqual([`bytes=${offset}-`]);
  });

  it('lets two pulls of one image share the downloads', async () => {
    engine = await TestEngine.create();
    const ref = `${proxy.host}/faults/app:v1`;
    const [a, b] = await Promise.all([
      engine.distribution.pull(ref, {}, () => {}),
      engine.distribution.pull(ref, {}, () => {}),
    ]);
    expect(a.id).toBe(image.config.digest);
    expect(b.id).toBe(image.config.digest);
    expect(gets(big().digest)).toHaveLength(1);
    expect(gets(small().digest)).toHaveLength(1);
  });

  it('follows blob redirects to another origin (object-storage style)', async () => {
    engine = await TestEngine.create();
    proxy.redirectBlobs = true;
    expect((await engine.distribution.pull(`${proxy.host}/faults/app:v1`, {}, () => {})).id).toBe(image.config.digest);
    expect(gets(big().digest).map((r) => r.status)).toEqual([307]);
  });
});
