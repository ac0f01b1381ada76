import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveInRoot } from '../../src/containers/spec.js';
import type { HostConfig } from '../../src/types/docker.js';
import { copyUp } from '../../src/volumes/copy-up.js';
import {
  ociMounts,
  populateVolumes,
  prepareMounts,
  removeAnonymousVolumes,
  resolveMounts,
} from '../../src/volumes/mounts.js';
import { mergeTmpfsOptions, parseBind, tmpfsOptionsData } from '../../src/volumes/parse.js';
import { ANONYMOUS_LABEL, VolumeStore } from '../../src/volumes/store.js';

let root: string;
let store: VolumeStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-mnt-'));
  store = new VolumeStore(join(root, 'data'));
  await store.init();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const resolve = (hc: HostConfig, image?: Record<string, object>, volumes?: Record<string, object>) =>
  resolveMounts(store, hc, image, { Volumes: volumes });

describe('-v parsing (moby linux parser rules)', () => {
  it.each([
    ['/data', { type: 'volume', source: '', destination: '/data', rw: true, mode: '' }],
    ['vol:/data', { type: 'volume', source: 'vol', destination: '/data', rw: true, mode: '' }],
    ['vol:/data:ro', { type: 'volume', source: 'vol', rw: false, mode: 'ro' }],
    ['vol:/data:nocopy', { type: 'volume', copyData: false, rw: true }],
    ['vol:/data:z', { type: 'volume', mode: 'z', rw: true }],
    ['/host:/c', { type: 'bind', source: '/host', destination: '/c', propagation: 'rprivate', rw: true }],
    ['/host/:/c/', { type: 'bind', source: '/host', destination: '/c' }],
    ['/host:/c:ro,rshared', { type: 'bind', rw: false, propagation: 'rshared', mode: 'ro,rshared' }],
    ['/host:/c:Z,slave', { type: 'bind', rw: true, propagation: 'slave' }],
  ])('%s', (raw, expected) => {
    expect(parseBind(raw)).toMatchObject(expected);
  });

  it.each([
    ['/c:rw', "invalid volume specification: '/c:rw'"],
    [':/c', "invalid volume specification: ':/c'"],
    ['a:/b:ro:d', "invalid volume specification: 'a:/b:ro:d'"],
    ['/host:/c:bogus', 'invalid mode: bogus'],
    ['/host:/c:ro,rw', 'invalid mode: ro,rw'],
    ['/host:/c:shared,slave', 'invalid mode: shared,slave'],
    [
      '/host:relative',
      "invalid volume specification: '/host:relative': invalid mount config for type \"bind\": invalid mount path: 'relative' mount path must be absolute",
    ],
    [
      '/host:/',
      "invalid volume specification: '/host:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'",
    ],
    ['/h:/c:nocopy', 'invalid mount config for type "bind": field VolumeOptions must not be specified'],
    ['vol:/c:rshared', 'invalid mount config for type "volume": field BindOptions must not be specified'],
  ])('refuses %s', (raw, message) => {
    expect(() => parseBind(raw)).toThrow(message);
  });

  it('turns TmpfsOptions into mount data as moby does', () => {
    expect(tmpfsOptionsData({ SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 }, true)).toBe('ro,mode=1770,size=64m');
    expect(tmpfsOptionsData({ SizeBytes: 1000 }, false)).toBe('size=1000');
    expect(
      mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=2m', 'shared']),
    ).toEqual(['nosuid', 'nodev', 'exec', 'size=2m', 'shared']);
  });
});

describe('resolveMounts', () => {
  it('creates named and anonymous volumes and reports Docker MountPoints', async () => {
    const host = join(root, 'host');
    await mkdir(host);
    const r = await resolve({ Binds: ['named:/srv:ro', `${host}:/h`, '/anon'] }, undefined, { '/cli-anon': {} });
    const named = store.inspect('named');
    expect(r.mountPoints).toHaveLength(4);
    const byDest = Object.fromEntries(r.mountPoints.map((m) => [m.Destination, m]));
    expect(byDest['/srv']).toEqual({
      Type: 'volume',
      Name: 'named',
      Source: named.Mountpoint,
      Destination: '/srv',
      Driver: 'local',
      Mode: 'ro',
      RW: false,
      Propagation: '',
    });
    expect(byDest['/h']).toEqual({
      Type: 'bind',
      Source: host,
      Destination: '/h',
      Mode: '',
      RW: true,
      Propagation: 'rprivate',
    });
    expect(byDest['/anon']).toMatchObject({ Type: 'volume', Mode: 'z', RW: true });
    expect(byDest['/cli-anon']).toMatchObject({ Type: 'volume', Mode: '' });
    expect(store.isAnonymous(byDest['/anon']!.Name!)).toBe(true);
    expect(store.inspect(byDest['/cli-anon']!.Name!).Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    expect(r.created.sort()).toEqual([byDest['/anon']!.Name!, byDest['/cli-anon']!.Name!, 'named'].sort());
  });

  it('makes image VOLUMEs anonymous unless a mount covers the exact path', async () => {
    const r = await resolve(
      { Binds: ['mine:/var/lib/data'], Mounts: [{ Type: 'tmpfs', Target: '/cache' }], Tmpfs: { '/run': '' } },
      { '/var/lib/data': {}, '/cache': {}, '/run': {}, '/logs/': {} },
    );
    expect(r.mountPoints.map((m) => [m.Destination, m.Type, m.Name === 'mine'])).toEqual([
      ['/cache', 'tmpfs', false],
      ['/logs', 'volume', false],
      ['/var/lib/data', 'volume', true],
    ]);
    expect((await store.list()).length).toBe(2);
  });

  it('validates --mount as Docker does (bind source must exist, unlike -v)', async () => {
    await expect(resolve({ Mounts: [{ Type: 'bind', Source: '/nonexistent/berth', Target: '/x' }] })).rejects.toThrow(
      'invalid mount config for type "bind": bind source path does not exist: /nonexistent/berth',
    );
    await expect(resolve({ Mounts: [{ Type: 'bind', Target: '/x' }] })).rejects.toThrow(
      'invalid mount config for type "bind": field Source must not be empty',
    );
    await expect(resolve({ Mounts: [{ Type: 'volume', Target: '/x', ReadOnly: true }] })).rejects.toThrow(
      'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
    );
    await expect(resolve({ Mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/x' }] })).rejects.toThrow(
      'invalid mount config for type "tmpfs": field Source must not be specified',
    );
    await expect(
      resolve({ Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { Propagation: 'weird' } }] }),
    ).rejects.toThrow('invalid propagation mode: weird');
    const r = await resolve({ Binds: [`${root}/will-be-created:/x`] });
    expect(r.mountPoints[0]).toMatchObject({ Type: 'bind', Source: `${root}/will-be-created` });
    expect(existsSync(`${root}/will-be-created`)).toBe(false);
    await prepareMounts(store, 'c1', r.mountPoints, { Binds: [`${root}/will-be-created:/x`] });
    expect((await lstat(`${root}/will-be-created`)).isDirectory()).toBe(true);
  });

  it('refuses duplicate mount points and rolls back volumes it created', async () => {
    await expect(resolve({ Binds: ['a1:/x', 'b1:/x'] })).rejects.toThrow('Duplicate mount point: /x');
    await expect(resolve({ Binds: ['a1:/x'], Tmpfs: { '/x': '' } })).rejects.toThrow('Duplicate mount point: /x');
    await expect(
      resolve({ Binds: ['a1:/x'], Mounts: [{ Type: 'volume', Source: 'b1', Target: '/x/' }] }),
    ).rejects.toThrow('Duplicate mount point: /x');
    await expect(resolve({ Binds: ['good:/a', 'bad/name:/b'] })).rejects.toThrow('includes invalid characters');
    expect(await store.list()).toEqual([]);
  });

  it('--mount volume takes labels and nocopy; mode z and rprivate binds in the OCI mounts', async () => {
    const r = await resolve({
      Mounts: [
        { Type: 'volume', Source: 'labelled', Target: '/v', VolumeOptions: { Labels: { a: 'b' }, NoCopy: true } },
        { Type: 'bind', Source: '/tmp', Target: '/v/inner', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
        { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o700 } },
      ],
      Tmpfs: { '/run': 'size=10m,exec' },
    });
    expect(store.inspect('labelled').Labels).toEqual({ a: 'b' });
    expect(r.mountPoints.find((m) => m.Destination === '/v')?.Mode).toBe('z');
    expect(r.ociMounts).toEqual([
      {
        destination: '/t',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=700', 'size=1m'],
      },
      { destination: '/v', type: 'bind', source: store.mountpoint('labelled'), options: ['rbind', 'rw', 'rprivate'] },
      {
        destination: '/run',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'rprivate', 'size=10m', 'exec'],
      },
      { destination: '/v/inner', type: 'bind', source: '/tmp', options: ['rbind', 'ro', 'rslave'] },
    ]);
    expect(r.rootfsPropagation).toBe('rslave');
    expect(ociMounts(r.mountPoints, {}).rootfsPropagation).toBe('rslave');
    await expect(resolve({ Tmpfs: { '/x': 'size=1m,bogus' } })).rejects.toThrow('invalid tmpfs option ["bogus"]');
    await expect(resolve({ Tmpfs: { relative: '' } })).rejects.toThrow(
      "invalid mount path: 'relative' mount path must be absolute",
    );
  });

  it("--volumes-from copies another container's mounts with an optional mode", async () => {
    const first = await resolve({ Binds: ['shared:/s'] });
    const r = await resolveMounts(
      store,
      { VolumesFrom: ['other:ro'], Binds: ['/tmp:/t'] },
      undefined,
      {},
      {
        volumesFrom: (id) => (id === 'other' ? first.mountPoints : undefined),
      },
    );
    expect(r.mountPoints.find((m) => m.Destination === '/s')).toMatchObject({ Name: 'shared', RW: false, Mode: 'ro' });
    await expect(resolveMounts(store, { VolumesFrom: ['ghost'] }, undefined, {}, {})).rejects.toThrow(
      'No such container: ghost',
    );
  });

  it('rm -v removes only anonymous volumes not used elsewhere', async () => {
    const refs = new Map<string, string[]>();
    store = new VolumeStore(join(root, 'data'), (n) => refs.get(n) ?? []);
    await store.init();
    const r = await resolve({ Binds: ['keepme:/k', '/a1', '/a2'] });
    const a2 = r.mountPoints.find((m) => m.Destination === '/a2')!.Name!;
    refs.set(a2, ['someone-else']);
    const removed = await removeAnonymousVolumes(store, r.mountPoints);
    expect(removed).toEqual([r.mountPoints.find((m) => m.Destination === '/a1')!.Name]);
    expect(store.get('keepme')).toBeDefined();
    expect(store.get(a2)).toBeDefined();
  });
});

describe('copy-up', () => {
  it('copies image content into an empty volume preserving modes, owners and symlinks', async () => {
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'srv/data/sub'), { recursive: true });
    await chmod(join(rootfs, 'srv/data'), 0o1777);
    await chown(join(rootfs, 'srv/data'), 1000, 1001);
    await writeFile(join(rootfs, 'srv/data/sub/file'), 'content');
    await chown(join(rootfs, 'srv/data/sub/file'), 33, 33);
    await chmod(join(rootfs, 'srv/data/sub/file'), 0o640);
    await symlink('/etc/passwd', join(rootfs, 'srv/data/link'));
    const hc = { Binds: ['vol:/srv/data', 'skip:/srv/data/sub:nocopy'] };
    const r = await resolve(hc);
    await populateVolumes(store, r.mountPoints, hc, rootfs);
    const dst = store.mountpoint('vol');
    const top = await lstat(dst);
    expect([top.mode & 0o7777, top.uid, top.gid]).toEqual([0o1777, 1000, 1001]);
    const f = await lstat(join(dst, 'sub/file'));
    expect([f.mode & 0o777, f.uid, f.gid]).toEqual([0o640, 33, 33]);
    expect(await readFile(join(dst, 'sub/file'), 'utf8')).toBe('content');
    expect(await readlink(join(dst, 'link'))).toBe('/etc/passwd');
    expect(existsSync(join(store.mountpoint('skip'), 'file'))).toBe(false);
    // Not empty any more: a second copy-up leaves the volume alone.
    await writeFile(join(rootfs, 'srv/data/new'), 'n');
    expect(await copyUp(dst, rootfs, '/srv/data')).toBe(false);
    expect(existsSync(join(dst, 'new'))).toBe(false);
    // Nothing in the image at that path: nothing to copy.
    expect(await copyUp(store.mountpoint('skip'), rootfs, '/nothing/here')).toBe(false);
  });

  it('resolves the image path inside the rootfs, never outside it', async () => {
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'real'), { recursive: true });
    await symlink('/real', join(rootfs, 'abs'));
    await symlink('../../../../../etc', join(rootfs, 'escape'));
    expect(await resolveInRoot(rootfs, '/abs/x')).toBe(join(rootfs, 'real/x'));
    expect(await resolveInRoot(rootfs, '/escape/passwd')).toBe(join(rootfs, 'etc/passwd'));
    expect(await resolveInRoot(rootfs, '/../../etc')).toBe(join(rootfs, 'etc'));
    const vol = await store.create({ Name: 'esc' });
    expect(await copyUp(vol.Mountpoint, rootfs, '/escape')).toBe(false);
    expect(execFileSync('ls', ['-A', vol.Mountpoint]).toString()).toBe('');
  });

  it('refuses a volume over an image file', async () => {
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await writeFile(join(rootfs, 'etc/conf'), 'x');
    const vol = await store.create({ Name: 'over' });
    await expect(copyUp(vol.Mountpoint, rootfs, '/etc/conf')).rejects.toThrow('cannot mount volume over existing file');
  });
});
