import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullScope, RegistryClient } from '../../src/distribution/client.js';
import { Endpoints } from '../../src/distribution/transport.js';
import { isEngineError } from '../../src/errors.js';
import { imageOf, layerOf, tarOf, uploadImage } from './harness/blobs.js';
import { TestRegistry } from './harness/registry.js';

describe('registry client against docker-registry', () => {
  let registry: TestRegistry;
  const endpoints = new Endpoints(undefined);

  beforeAll(async () => {
    registry = await TestRegistry.create();
  });
  afterAll(async () => {
    await endpoints.close();
    await registry?.destroy();
  });

  it('resolves a loopback registry to plain HTTP', async () => {
    const ep = await endpoints.forDomain(registry.host);
    expect(ep.base).toBe(`http://${registry.host}`);
  });

  it('uploads, heads, fetches ranges and mounts blobs; puts and gets manifests', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, undefined);
    const layer = await layerOf(await tarOf({ 'hello.txt': 'hello world\n'.repeat(1000) }));
    const image = imageOf([layer]);
    expect(await client.hasBlob('client/a', layer.digest, [pullScope('client/a')])).toBe(false);
    await uploadImage(client, 'client/a', 'v1', image);
    expect(await client.hasBlob('client/a', layer.digest, [pullScope('client/a')])).toBe(true);

    const byTag = await client.manifest('client/a', 'v1');
    expect(byTag.digest).toBe(image.manifest.digest);
    expect(byTag.mediaType).toBe(image.manifest.mediaType);
    expect(byTag.body.equals(image.manifest.data)).toBe(true);
    expect((await client.manifest('client/a', image.manifest.digest)).digest).toBe(image.manifest.digest);

    const ranged = await client.blob('client/a', layer.digest, 100);
    expect(ranged.start).toBe(100);
    const rest: Buffer[] = [];
    for await (const c of ranged.body) rest.push(c as Buffer);
    expect(Buffer.concat(rest).equals(layer.data.subarray(100))).toBe(true);

    // Cross-repository mount: 201 and the blob is in the target without an upload.
    expect(await client.mount('client/b', layer.digest, 'client/a')).toBeUndefined();
    expect(await client.hasBlob('client/b', layer.digest, [pullScope('client/b')])).toBe(true);
  });

  it('reports unknown manifests as NO_SUCH_IMAGE', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, undefined);
    const err = await client.manifest('client/none', 'latest').catch((e: unknown) => e);
    expect(isEngineError(err, 'NO_SUCH_IMAGE')).toBe(true);
  });
});
