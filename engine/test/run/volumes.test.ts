import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../support/berthd.js';
import { daemonWithBusybox } from './helpers.js';

// Volumes, binds and tmpfs through the stock docker CLI against berthd, in real containers.
let d: TestDaemon;
const host = mkdtempSync('/tmp/bt-binds-');

beforeAll(async () => {
  d = await daemonWithBusybox();
});
afterAll(async () => {
  await d.cleanup();
  rmSync(host, { recursive: true, force: true });
});

const volumeNames = () => d.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);

describe('volumes', () => {
  it('data written to a named volume survives the container, and the volume is in use while a container has it', () => {
    d.ok(['run', '--rm', '-v', 'keep:/data', 'bb', 'sh', '-c', 'echo kept > /data/f']);
    expect(d.ok(['run', '--rm', '-v', 'keep:/data', 'bb', 'cat', '/data/f'])).toBe('kept');
    const mountpoint = d.ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'keep']);
    expect(readFileSync(join(mountpoint, 'f'), 'utf8')).toBe('kept\n');

    d.ok(['create', '--name', 'holder', '-v', 'keep:/data', 'bb', 'true']);
    const refused = d.docker(['volume', 'rm', 'keep']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('volume is in use');
    d.ok(['rm', 'holder']);
    d.ok(['volume', 'rm', 'keep']);
    expect(volumeNames()).not.toContain('keep');
    expect(existsSync(mountpoint)).toBe(false);
  });

  it('an empty volume gets the image content at its mount point (copy-up)', () => {
    expect(d.ok(['run', '--rm', '-v', 'site:/var/www', 'bb', 'cat', '/var/www/index.html'])).toBe(
      '<h1>Hello from Berth</h1>',
    );
    d.ok(['volume', 'rm', 'site']);
  });

  it('a `-v /path` anonymous volume is kept by rm and removed by rm -v and by --rm', () => {
    d.ok(['run', '-d', '--name', 'anon', '-v', '/scratch', 'bb', 'sh', '-c', 'echo x > /scratch/f; sleep 600']);
    const [mount] = JSON.parse(d.ok(['inspect', '-f', '{{json .Mounts}}', 'anon'])) as {
      Type: string;
      Name: string;
      Destination: string;
      Source: string;
    }[];
    expect(mount).toMatchObject({ Type: 'volume', Destination: '/scratch' });
    expect(mount?.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(volumeNames()).toContain(mount?.Name);
    d.ok(['rm', '-f', '-v', 'anon']);
    expect(volumeNames()).not.toContain(mount?.Name);
    expect(existsSync(mount?.Source ?? '/nonexistent')).toBe(false);

    d.ok(['run', '--name', 'anon2', '-v', '/scratch', 'bb', 'true']);
    const kept = d.ok(['inspect', '-f', '{{(index .Mounts 0).Name}}', 'anon2']);
    d.ok(['rm', 'anon2']);
    expect(volumeNames()).toContain(kept);
    d.ok(['volume', 'rm', kept]);

    const before = volumeNames();
    d.ok(['run', '--rm', '-v', '/scratch', 'bb', 'true']);
    expect(volumeNames()).toEqual(before);
  });

  it('binds: read-only refuses writes, read-write writes reach the host', () => {
    writeFileSync(join(host, 'f'), 'from host\n');
    const ro = d.docker(['run', '--rm', '-v', `${host}:/mnt:ro`, 'bb', 'sh', '-c', 'cat /mnt/f && touch /mnt/g']);
    expect(ro.stdout).toBe('from host\n');
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toContain('Read-only file system');
    expect(existsSync(join(host, 'g'))).toBe(false);

    d.ok(['run', '--rm', '-v', `${host}:/mnt`, 'bb', 'sh', '-c', 'echo from container > /mnt/g']);
    expect(readFileSync(join(host, 'g'), 'utf8')).toBe('from container\n');
  });

  it('--tmpfs mounts a tmpfs with its options', () => {
    const out = d.ok([
      'run',
      '--rm',
      '--tmpfs',
      '/run/t:size=1m',
      'bb',
      'sh',
      '-c',
      'grep " /run/t " /proc/mounts; echo hi > /run/t/x && cat /run/t/x',
    ]);
    const [line = '', content] = out.split('\n');
    expect(line).toMatch(/^tmpfs \/run\/t tmpfs rw,nosuid,nodev,noexec,.*size=1024k/);
    expect(content).toBe('hi');
  });
});
