import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/distribution/client.js';
import { Endpoints, isLoopbackHost } from '../../src/distribution/transport.js';
import { imageOf, layerOf, tarOf, uploadImage } from './harness/blobs.js';
import { makePki, type TestPki } from './harness/pki.js';
import { TestRegistry } from './harness/registry.js';

describe('registry TLS', () => {
  let dir: string;
  let pki: TestPki;
  let https: TestRegistry;
  let mtls: TestRegistry;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    pki = await makePki(dir);
    [https, mtls] = await Promise.all([
      TestRegistry.create({ kind: 'none' }, { cert: pki.serverCert, key: pki.serverKey }),
      TestRegistry.create({ kind: 'none' }, { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([https?.destroy(), mtls?.destroy()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** A certs.d tree with the given files under `<host>/`. */
  async function certsDir(name: string, host: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    await mkdir(join(root, host), { recursive: true });
    for (const [file, src] of Object.entries(files)) await copyFile(src, join(root, host, file));
    return root;
  }

  async function roundTrip(endpoints: Endpoints, host: string): Promise<void> {
    const client = await RegistryClient.connect(endpoints, host, undefined);
    const image = imageOf([await layerOf(await tarOf({ tls: 'yes' }))]);
    await uploadImage(client, 'tls/app', 'v1', image);
    expect((await client.manifest('tls/app', 'v1')).digest).toBe(image.manifest.digest);
  }

  it('knows which hosts are loopback', () => {
    for (const h of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', '[::1]:5000', 'reg.localhost'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1:5000', 'registry.example.com', '[::2]:5000', 'docker.io', '128.0.0.1'])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it('verifies a loopback HTTPS registry against certs.d/<host>/ca.crt', async () => {
    const endpoints = new Endpoints(await certsDir('good', https.host, { 'ca.crt': pki.caCert }));
    try {
      expect((await endpoints.forDomain(https.host)).base).toBe(`https://${https.host}`);
      await roundTrip(endpoints, https.host);
    } finally {
      await endpoints.close();
    }
  });

  it('refuses a certificate the certs.d CA did not sign', async () => {
    const endpoints = new Endpoints(await certsDir('wrong', https.host, { 'ca.crt': pki.otherCaCert }));
    try {
      const err = await RegistryClient.connect(endpoints, https.host, undefined).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/certificate|self.signed|unable to verify/i);
    } finally {
      await endpoints.close();
    }
  });

  it('treats a loopback HTTPS registry without certs.d as insecure, as dockerd does', async () => {
    const endpoints = new Endpoints(undefined);
    try {
      expect((await endpoints.forDomain(https.host)).base).toBe(`https://${https.host}`);
      await roundTrip(endpoints, https.host);
    } finally {
      await endpoints.close();
    }
  });

  it('presents the client certificate from certs.d to a registry that demands one', async () => {
    const withCert = new Endpoints(
      await certsDir('mtls', mtls.host, {
        'ca.crt': pki.caCert,
        'client.cert': pki.clientCert,
        'client.key': pki.clientKey,
      }),
    );
    const without = new Endpoints(await certsDir('mtls-none', mtls.host, { 'ca.crt': pki.caCert }));
    try {
      await roundTrip(withCert, mtls.host);
      const err = await RegistryClient.connect(without, mtls.host, undefined).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
    } finally {
      await Promise.all([withCert.close(), without.close()]);
    }
  });
});
