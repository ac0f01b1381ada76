import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegistryAuth, parseChallenges } from '../../src/distribution/auth.js';
import { pullScope, pushScope, RegistryClient } from '../../src/distribution/client.js';
import { Endpoints } from '../../src/distribution/transport.js';
import { isEngineError } from '../../src/errors.js';
import { imageOf, layerOf, tarOf, uploadImage } from './harness/blobs.js';
import { TestRegistry } from './harness/registry.js';
import { TokenServer } from './harness/token-server.js';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('auth headers', () => {
  it('parses bearer and basic challenges', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push",error="insufficient_scope"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull,push',
          error: 'insufficient_scope',
        },
      },
    ]);
    expect(parseChallenges('Basic realm="x \\"y\\"", Bearer realm=http://a/t')).toEqual([
      { scheme: 'basic', params: { realm: 'x "y"' } },
      { scheme: 'bearer', params: { realm: 'http://a/t' } },
    ]);
    expect(parseChallenges(undefined)).toEqual([]);
  });

  it('decodes X-Registry-Auth as the CLI encodes it', () => {
    expect(decodeRegistryAuth(b64url({ username: 'u', password: 'p:w', serveraddress: '127.0.0.1:5000' }))).toEqual({
      username: 'u',
      password: 'p:w',
      serveraddress: '127.0.0.1:5000',
    });
    // Padded standard base64 and the legacy `auth` field.
    const legacy = Buffer.from(JSON.stringify({ auth: Buffer.from('me:secret').toString('base64') })).toString(
      'base64',
    );
    expect(decodeRegistryAuth(legacy)).toEqual({ username: 'me', password: 'secret' });
    expect(decodeRegistryAuth(b64url({ identitytoken: 'tok' }))).toEqual({ identitytoken: 'tok' });
    expect(decodeRegistryAuth(undefined)).toBeUndefined();
    expect(decodeRegistryAuth(b64url({}))).toBeUndefined();
    expect(() => decodeRegistryAuth('not json at all')).toThrow(/X-Registry-Auth/);
  });
});

describe('basic auth (htpasswd, bcrypt by bcryptjs)', () => {
  let dir: string;
  let registry: TestRegistry;
  const endpoints = new Endpoints(undefined);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-htpasswd-'));
    await writeFile(join(dir, 'htpasswd'), `alice:${bcrypt.hashSync('wonderland', 6)}\n`);
    registry = await TestRegistry.create({ kind: 'htpasswd', file: join(dir, 'htpasswd') });
  });
  afterAll(async () => {
    await endpoints.close();
    await registry?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes and pulls with the right password and refuses a wrong one or none', async () => {
    const good = await RegistryClient.connect(endpoints, registry.host, { username: 'alice', password: 'wonderland' });
    expect(good.authorizer.scheme).toBe('basic');
    const image = imageOf([await layerOf(await tarOf({ a: 'a' }))]);
    await uploadImage(good, 'basic/app', 'v1', image);
    expect((await good.manifest('basic/app', 'v1')).digest).toBe(image.manifest.digest);

    for (const creds of [{ username: 'alice', password: 'nope' }, undefined]) {
      const bad = await RegistryClient.connect(endpoints, registry.host, creds);
      const err = await bad.manifest('basic/app', 'v1').catch((e: unknown) => e);
      expect(isEngineError(err, 'UNAUTHORIZED')).toBe(true);
    }
  });
});

describe('bearer token flow', () => {
  let dir: string;
  let tokens: TokenServer;
  let registry: TestRegistry;
  const endpoints = new Endpoints(undefined);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-token-'));
    tokens = await TokenServer.start(dir, { bob: 'builder' });
    registry = await TestRegistry.create({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.certPath,
    });
  });
  afterAll(async () => {
    await endpoints.close();
    await registry?.destroy();
    await tokens?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches a token per scope set, caches it, and mounts with the source scope', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, { username: 'bob', password: 'builder' });
    expect(client.authorizer.scheme).toBe('bearer');
    const layer = await layerOf(await tarOf({ b: 'b' }));
    const image = imageOf([layer]);
    const before = tokens.requests.length;
    await uploadImage(client, 'tok/app', 'v1', image);
    // Every push call shares one scope set: one token for the whole upload.
    const pushTokens = tokens.requests.slice(before);
    expect(pushTokens).toHaveLength(1);
    expect(pushTokens[0]).toMatchObject({ account: 'bob', scopes: [pushScope('tok/app')] });

    expect(await client.mount('tok/other', layer.digest, 'tok/app')).toBeUndefined();
    expect(tokens.requests.at(-1)?.scopes.sort()).toEqual([pullScope('tok/app'), pushScope('tok/other')].sort());
    expect(await client.hasBlob('tok/other', layer.digest, [pushScope('tok/other')])).toBe(true);
  });

  it('gets anonymous tokens for public repositories only', async () => {
    const owner = await RegistryClient.connect(endpoints, registry.host, { username: 'bob', password: 'builder' });
    const image = imageOf([await layerOf(await tarOf({ c: 'c' }))]);
    await uploadImage(owner, 'tok/public', 'v1', image);
    await uploadImage(owner, 'tok/private', 'v1', image);
    tokens.publicRepos.add('tok/public');
    const anon = await RegistryClient.connect(endpoints, registry.host, undefined);
    expect((await anon.manifest('tok/public', 'v1')).digest).toBe(image.manifest.digest);
    const err = await anon.manifest('tok/private', 'v1').catch((e: unknown) => e);
    expect(isEngineError(err, 'UNAUTHORIZED')).toBe(true);
  });

  it('refuses wrong credentials at the token server', async () => {
    const client = await RegistryClient.connect(endpoints, registry.host, { username: 'bob', password: 'wrong' });
    const err = await client.manifest('tok/app', 'v1').catch((e: unknown) => e);
    expect(isEngineError(err, 'UNAUTHORIZED')).toBe(true);
    expect((err as Error).message).toContain('incorrect username or password');
  });

  it('logs in for a refresh token and uses it as an identity token', async () => {
    const login = await RegistryClient.connect(endpoints, registry.host, { username: 'bob', password: 'builder' });
    await login.authorizer.authorization([], undefined, true);
    expect(tokens.requests.at(-1)).toMatchObject({ offline: true, account: 'bob' });
    const identity = login.authorizer.refreshToken;
    expect(identity).toBeTruthy();
    const client = await RegistryClient.connect(endpoints, registry.host, { identitytoken: identity });
    expect((await client.manifest('tok/app', 'v1')).mediaType).toContain('manifest');
    expect(tokens.requests.at(-1)).toMatchObject({ method: 'POST', grant: 'refresh_token', account: 'bob' });
  });
});
