import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryOps } from '../../src/daemon/images.js';
import { isEngineError } from '../../src/errors.js';
import { tarOf } from './harness/blobs.js';
import { collect, TestEngine } from './harness/engine.js';
import { TestRegistry } from './harness/registry.js';
import { TokenServer } from './harness/token-server.js';

/** What the CLI puts in X-Registry-Auth. */
const header = (v: Record<string, string>) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('login, push and pull with credentials', () => {
  let dir: string;
  let engine: TestEngine;
  let open: TestRegistry;
  let basic: TestRegistry;
  let tokens: TokenServer;
  let bearer: TestRegistry;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-login-'));
    await writeFile(join(dir, 'htpasswd'), `alice:${bcrypt.hashSync('wonderland', 6)}\n`);
    tokens = await TokenServer.start(dir, { bob: 'builder' });
    [open, basic, bearer] = await Promise.all([
      TestRegistry.create(),
      TestRegistry.create({ kind: 'htpasswd', file: join(dir, 'htpasswd') }),
      TestRegistry.create({
        kind: 'token',
        realm: tokens.realm,
        service: tokens.service,
        issuer: tokens.issuer,
        rootCertBundle: tokens.certPath,
      }),
    ]);
    engine = await TestEngine.create();
  });
  afterAll(async () => {
    await engine?.destroy();
    await Promise.all([open?.destroy(), basic?.destroy(), bearer?.destroy()]);
    await tokens?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('checks logins against each kind of registry', async () => {
    const d = engine.distribution;
    expect(await d.checkLogin({ username: 'x', password: 'y', serveraddress: open.host })).toEqual({
      Status: 'Login Succeeded',
    });
    expect(
      await d.checkLogin({ username: 'alice', password: 'wonderland', serveraddress: `http://${basic.host}/` }),
    ).toEqual({ Status: 'Login Succeeded' });
    const badBasic = await d
      .checkLogin({ username: 'alice', password: 'nope', serveraddress: basic.host })
      .catch((e: unknown) => e);
    expect(isEngineError(badBasic, 'UNAUTHORIZED')).toBe(true);

    const ok = await d.login({ username: 'bob', password: 'builder', serveraddress: bearer.host });
    expect(ok.Status).toBe('Login Succeeded');
    expect(ok.IdentityToken).toMatch(/^[a-f0-9]{32}$/);
    const badToken = await d
      .login({ username: 'bob', password: 'nope', serveraddress: bearer.host })
      .catch((e: unknown) => e);
    expect(isEngineError(badToken, 'UNAUTHORIZED')).toBe(true);
    expect((badToken as Error).message).toContain('incorrect username or password');

    // The identity token from a login stands in for the password afterwards; this time through
    // the adapter the daemon wires in for POST /auth.
    const ops: RegistryOps = d.registryOps();
    expect(await ops.login({ identitytoken: ok.IdentityToken ?? '', serveraddress: bearer.host })).toMatchObject({
      Status: 'Login Succeeded',
    });
  });

  for (const kind of ['basic', 'bearer'] as const) {
    it(`pushes and pulls through ${kind} auth, and refuses anonymous access`, async () => {
      const registry = kind === 'basic' ? basic : bearer;
      const auth =
        kind === 'basic'
          ? header({ username: 'alice', password: 'wonderland', serveraddress: registry.host })
          : header({ username: 'bob', password: 'builder', serveraddress: registry.host });
      const ref = `${registry.host}/${kind}/app:v1`;
      const imported = await engine.images.importRootfs(Readable.from([await tarOf({ [`${kind}.txt`]: kind })]), {
        reference: ref,
      });

      const anonymous = await engine.distribution.push(ref, {}, () => {}).catch((e: unknown) => e);
      expect(isEngineError(anonymous, 'UNAUTHORIZED')).toBe(true);
      await engine.distribution.push(ref, { registryAuth: auth }, () => {});

      // Cross-repository mount needs pull on the source too (a second scope in the token).
      const copy = `${registry.host}/${kind}/copy:v1`;
      await engine.images.tag(ref, `${registry.host}/${kind}/copy`, 'v1');
      const mounted = collect();
      await engine.distribution.push(copy, { registryAuth: auth }, mounted.fn);
      expect(mounted.statuses()).toContain(`Mounted from ${kind}/app`);

      const target = await TestEngine.create();
      try {
        const denied = await target.distribution.pull(ref, {}, () => {}).catch((e: unknown) => e);
        expect(isEngineError(denied, 'NO_SUCH_IMAGE')).toBe(true);
        expect((denied as Error).message).toMatch(/pull access denied for .*may require 'docker login': unauthorized/);
        const pulled = await target.distribution.pull(ref, { registryAuth: auth }, () => {});
        expect(pulled.id).toBe(imported.id);
      } finally {
        await target.destroy();
      }
    });
  }
});
