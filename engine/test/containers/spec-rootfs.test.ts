import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWorkdir, resolveInRoot, writeEtcFiles } from '../../src/containers/spec.js';
import { hostsContent } from '../../src/containers/spec-etc.js';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-rootfs-'));
  root = join(dir, 'rootfs');
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await symlink('/usr/lib', join(root, 'lib')); // absolute: relative to the rootfs
  await symlink('../../../..', join(root, 'up')); // climbs past the root
  await symlink('/', join(root, 'slash'));
  await writeFile(join(root, 'etc/file'), 'x');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveInRoot', () => {
  it('follows symlinks inside the rootfs', async () => {
    expect(await resolveInRoot(root, '/lib/x')).toBe(join(root, 'usr/lib/x'));
    expect(await resolveInRoot(root, 'lib')).toBe(join(root, 'usr/lib'));
  });

  it('never resolves outside the rootfs', async () => {
    expect(await resolveInRoot(root, '/up/etc/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/../../../etc/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/slash/slash/etc')).toBe(join(root, 'etc'));
    expect(await resolveInRoot(root, '/missing/../../..')).toBe(root);
  });

  it('gives up on symlink loops', async () => {
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
    await expect(resolveInRoot(root, '/loop1')).rejects.toThrow(/too many symlinks/);
  });
});

describe('ensureWorkdir', () => {
  it('creates missing directories owned by the given user', async () => {
    const host = await ensureWorkdir(root, '/srv/app/data', 1234, 5678);
    expect(host).toBe(join(root, 'srv/app/data'));
    const st = await stat(host);
    expect(st.isDirectory()).toBe(true);
    expect([st.uid, st.gid]).toEqual([1234, 5678]);
    expect(st.mode & 0o777).toBe(0o755);
  });

  it('leaves existing directories alone and creates through symlinks inside the rootfs', async () => {
    const before = await stat(join(root, 'usr'));
    expect(await ensureWorkdir(root, '/lib/new', 0, 0)).toBe(join(root, 'usr/lib/new'));
    expect((await stat(join(root, 'usr'))).uid).toBe(before.uid);
    expect(await ensureWorkdir(root, '/up/escaped', 0, 0)).toBe(join(root, 'escaped'));
    await expect(lstat(join(dir, 'escaped'))).rejects.toThrow();
  });

  it('rejects relative paths and files in the way', async () => {
    await expect(ensureWorkdir(root, 'rel', 0, 0)).rejects.toThrow(/absolute path/);
    await expect(ensureWorkdir(root, '/etc/file/sub', 0, 0)).rejects.toThrow(/not a directory/);
  });
});

describe('writeEtcFiles', () => {
  it('writes hostname, hosts and a resolv.conf without loopback resolvers', async () => {
    const cdir = join(dir, 'container');
    const hostResolv = join(dir, 'host-resolv.conf');
    await writeFile(
      hostResolv,
      '# host\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions ndots:2\n',
    );
    const files = await writeEtcFiles(cdir, {
      hostname: 'abc123',
      extraHosts: ['db:10.1.2.3'],
      addresses: ['172.17.0.2'],
      hostResolvConf: hostResolv,
    });
    expect(await readFile(files.hostname, 'utf8')).toBe('abc123\n');
    const hosts = await readFile(files.hosts, 'utf8');
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    expect(hosts).toContain('10.1.2.3\tdb\n');
    expect(hosts).toContain('172.17.0.2\tabc123\n');
    expect(await readFile(files.resolvConf, 'utf8')).toBe(
      'nameserver 10.0.0.2\nsearch corp.example\noptions ndots:2\n',
    );
  });

  it('falls back to public resolvers and honours --dns options', async () => {
    const cdir = join(dir, 'container2');
    const hostResolv = join(dir, 'loop-resolv.conf');
    await writeFile(hostResolv, 'nameserver 127.0.0.1\n');
    const a = await writeEtcFiles(cdir, { hostname: 'h', hostResolvConf: hostResolv });
    expect(await readFile(a.resolvConf, 'utf8')).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    const b = await writeEtcFiles(cdir, {
      hostname: 'h',
      hostResolvConf: hostResolv,
      dns: ['1.1.1.1'],
      dnsSearch: ['a.b'],
      dnsOptions: ['rotate'],
    });
    expect(await readFile(b.resolvConf, 'utf8')).toBe('nameserver 1.1.1.1\nsearch a.b\noptions rotate\n');
  });

  it('accepts IPv6 --add-host entries and rejects malformed ones', () => {
    expect(hostsContent({ hostname: 'h', extraHosts: ['v6:[::1]', 'eq=1.2.3.4'] })).toContain('::1\tv6\n1.2.3.4\teq\n');
    expect(() => hostsContent({ hostname: 'h', extraHosts: ['nohost'] })).toThrow(/--add-host/);
  });
});
