import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../src/api/server.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/log.js';
import { busyboxRootfsTar } from '../fixtures/busybox.js';
import { TestRegistry } from './harness/registry.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The stock docker CLI against the engine's API server and daemon (in this process, as berthd
 * runs them), which serve pull/push/login through this module: import, push, rmi, pull, run,
 * and login/logout against an htpasswd registry.
 */
describe('docker CLI pull/push/login through the engine API', () => {
  let root: string;
  let daemon: Daemon;
  let api: ApiServer;
  let open: TestRegistry;
  let basic: TestRegistry;

  /** Async: the daemon runs in this process, so the CLI must not block its event loop. */
  function docker(args: string[], input?: Buffer | string): Promise<Result> {
    return new Promise((resolve, reject) => {
      const proc = spawn('docker', args, {
        env: {
          ...process.env,
          DOCKER_HOST: `unix://${join(root, 'b.sock')}`,
          DOCKER_CONFIG: join(root, 'docker-config'),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      proc.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      proc.on('error', reject);
      proc.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      proc.stdin.end(input);
    });
  }

  async function ok(args: string[], input?: Buffer | string): Promise<string> {
    const r = await docker(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  beforeAll(async () => {
    // Short path: unix socket paths are limited to 108 bytes.
    root = await mkdtemp('/tmp/bdc-');
    await writeFile(join(root, 'htpasswd'), `alice:${bcrypt.hashSync('wonderland', 6)}\n`);
    [open, basic] = await Promise.all([
      TestRegistry.create(),
      TestRegistry.create({ kind: 'htpasswd', file: join(root, 'htpasswd') }),
    ]);
    const log = createLogger(process.env.BERTH_TEST_LOG ?? 'silent');
    daemon = await Daemon.open({ dataRoot: join(root, 'data'), log });
    api = new ApiServer(daemon.backend(), log);
    await api.listen({ host: `unix://${join(root, 'b.sock')}` });
  });

  afterAll(async () => {
    if (api) {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', ...ids]);
      await api.close();
    }
    await daemon?.close();
    await Promise.all([open?.destroy(), basic?.destroy()]);
    // Anything a failed run left mounted under the root goes before the tree is removed.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => root && m.startsWith(root))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await new Promise((r) => spawn('umount', ['-l', m]).on('close', r));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('pushes an imported image, pulls it back after rmi, and runs it', async () => {
    const image = `${open.host}/cli/busybox:v1`;
    await ok(['import', '-', image], await busyboxRootfsTar());
    const pushed = await ok(['push', image]);
    expect(pushed).toContain(`The push refers to repository [${open.host}/cli/busybox]`);
    expect(pushed).toMatch(/Pushed/);
    expect(pushed).toMatch(/v1: digest: sha256:[a-f0-9]{64} size: \d+/);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed)?.[1];

    await ok(['rmi', image]);
    const pulled = await ok(['pull', image]);
    expect(pulled).toContain('v1: Pulling from cli/busybox');
    expect(pulled).toContain(`Digest: ${digest}`);
    expect(pulled).toContain(`Status: Downloaded newer image for ${image}`);
    expect((await ok(['image', 'inspect', '-f', '{{json .RepoDigests}}', image])).trim()).toBe(
      JSON.stringify([`${open.host}/cli/busybox@${digest}`]),
    );
    expect((await ok(['run', '--rm', '--network', 'none', image, 'echo', 'pulled and running'])).trim()).toBe(
      'pulled and running',
    );

    const again = await ok(['pull', image]);
    expect(again).toContain(`Status: Image is up to date for ${image}`);
  });

  it('logs in, pushes with the stored credentials, and is refused after logout', async () => {
    const bad = await docker(['login', '-u', 'alice', '--password-stdin', basic.host], 'nope\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unauthorized/i);
    const login = await ok(['login', '-u', 'alice', '--password-stdin', basic.host], 'wonderland\n');
    expect(login).toContain('Login Succeeded');

    const image = `${basic.host}/cli/private:v1`;
    await ok(['import', '-', image], await busyboxRootfsTar());
    await ok(['push', image]);
    await ok(['rmi', image]);
    await ok(['pull', image]);
    await ok(['logout', basic.host]);
    await ok(['rmi', image]);
    const denied = await docker(['pull', image]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('pull access denied for');
  });
});
