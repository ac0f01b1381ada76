import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../src/archive/apply.js';
import { createLayerFromDiff, tarDirectory, tarPath } from '../../src/archive/pack.js';
import { applyLayerToSnapshot } from '../../src/archive/snapshot.js';
import { OverlaySnapshotter } from '../../src/snapshots/overlay.js';
import { mountAll } from '../snapshots/mount.js';
import { makeTar, sha256, treeSnapshot } from './helpers.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-apply-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const getfattr = (path: string, name: string) =>
  execFileSync('getfattr', ['-h', '--absolute-names', '--only-values', '-n', name, path], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('applyLayer', () => {
  it('extracts every entry type with owners, modes, times and xattrs; diffID is the tar digest', async () => {
    const mtime = new Date('2020-01-02T03:04:05Z');
    const layer = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', content: 'echo', mode: 0o4755, uid: 1000, gid: 1000, mtime },
      { name: 'bin/sg', content: 'x', mode: 0o2711, gid: 50 },
      { name: 'tmp/', type: 'directory', mode: 0o1777, mtime },
      { name: 'bin/alias', type: 'symlink', linkname: '/bin/tool', uid: 7, gid: 8 },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      {
        name: 'etc/cap',
        content: 'c',
        pax: { 'SCHILY.xattr.user.berth': 'yes', 'SCHILY.xattr.trusted.overlay.opaque': 'y' },
      },
      { name: 'home/app/.profile', content: 'x' }, // parents never described by the layer
    ]);
    const upper = join(root, 'upper');
    await mkdir(upper);
    const res = await applyLayer(Readable.from([layer]), upper);
    expect(res.diffId).toBe(sha256(layer));
    expect(res.compression).toBe('none');
    expect(res.size).toBe(4 + 1 + 1 + 1);

    const tool = await lstat(join(upper, 'bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect([tool.uid, tool.gid, tool.nlink]).toEqual([1000, 1000, 2]);
    expect(tool.mtime.toISOString()).toBe(mtime.toISOString());
    expect((await lstat(join(upper, 'bin/sg'))).mode & 0o7777).toBe(0o2711);
    const tmp = await lstat(join(upper, 'tmp'));
    expect(tmp.mode & 0o7777).toBe(0o1777);
    expect(tmp.mtime.toISOString()).toBe(mtime.toISOString()); // set after its children
    expect(await readlink(join(upper, 'bin/alias'))).toBe('/bin/tool');
    expect((await lstat(join(upper, 'bin/alias'))).uid).toBe(7);
    const dev = await lstat(join(upper, 'dev/null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe(0x103);
    expect((await lstat(join(upper, 'dev/loop9'))).isBlockDevice()).toBe(true);
    expect((await lstat(join(upper, 'run/fifo'))).isFIFO()).toBe(true);
    expect(getfattr(join(upper, 'etc/cap'), 'user.berth')).toBe('yes');
    // a layer may not set overlay's own attributes
    expect(() => getfattr(join(upper, 'etc/cap'), 'trusted.overlay.opaque')).toThrow();
    expect((await stat(join(upper, 'home/app'))).mode & 0o7777).toBe(0o755);
  });

  it('decompresses gzip and zstd to the same diffID', async () => {
    const layer = await makeTar([{ name: 'a.txt', content: 'hello'.repeat(1000) }]);
    const zst = execFileSync('zstd', ['-q', '-c'], { input: layer });
    for (const [blob, kind] of [
      [gzipSync(layer), 'gzip'],
      [zst, 'zstd'],
    ] as const) {
      const upper = join(root, kind);
      await mkdir(upper);
      const res = await applyLayer(Readable.from([blob]), upper);
      expect(res).toMatchObject({ diffId: sha256(layer), compression: kind });
      expect(await readFile(join(upper, 'a.txt'), 'utf8')).toBe('hello'.repeat(1000));
    }
  });

  it('stacks layers: whiteouts hide lower files, opaque dirs hide lower content (real overlay mount)', async () => {
    const sn = new OverlaySnapshotter(join(root, 'state'));
    await sn.init();
    const l1 = await makeTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/x', content: 'x' },
      { name: 'a/y', content: 'y' },
      { name: 'b/', type: 'directory', mode: 0o750, uid: 5 },
      { name: 'b/old', content: 'old' },
      { name: 'keep/file', content: 'k' },
      { name: 'shared', content: 'lower-data', uid: 3, mode: 0o640 },
    ]);
    const l2 = await makeTar([
      { name: 'a/.wh.x', content: '' },
      { name: 'b/', type: 'directory', mode: 0o750, uid: 5 },
      { name: 'b/.wh..wh..opq', content: '' },
      { name: 'b/new', content: 'new' },
      { name: 'keep/other', content: 'o' }, // keep/ not in this layer: created with the lower's attrs
      { name: 'linked', type: 'link', linkname: 'shared' }, // target only in the lower layer
    ]);
    await applyLayerToSnapshot(sn, 'L1', undefined, Readable.from([l1]));
    const r2 = await applyLayerToSnapshot(sn, 'L2', 'L1', Readable.from([l2]), { expectedDiffId: sha256(l2) });
    expect(r2.diffId).toBe(sha256(l2));
    const upper2 = await sn.upperDir('L2');
    expect((await lstat(join(upper2, 'a/x'))).isCharacterDevice()).toBe(true);
    expect(getfattr(join(upper2, 'b'), 'trusted.overlay.opaque')).toBe('y');
    // the hard link's lower target was copied up, with its owner and mode
    const copied = await lstat(join(upper2, 'shared'));
    expect([copied.uid, copied.mode & 0o777, copied.nlink]).toEqual([3, 0o640, 2]);

    const m = mountAll(await sn.view('v', 'L2'));
    try {
      expect((await readdir(join(m.target, 'a'))).sort()).toEqual(['y']);
      expect((await readdir(join(m.target, 'b'))).sort()).toEqual(['new']);
      expect((await readdir(join(m.target, 'keep'))).sort()).toEqual(['file', 'other']);
      expect(await readFile(join(m.target, 'linked'), 'utf8')).toBe('lower-data');
    } finally {
      m.unmount();
    }
    await sn.remove('v');
    // a diffID mismatch removes the half-made snapshot
    await expect(
      applyLayerToSnapshot(sn, 'L3', 'L2', Readable.from([l1]), { expectedDiffId: sha256(l2) }),
    ).rejects.toThrow(/digest mismatch/);
    expect((await sn.list()).map((s) => s.key).sort()).toEqual(['L1', 'L2']);
  });

  it('turns an upper dir back into a layer with .wh. entries, deterministically', async () => {
    const sn = new OverlaySnapshotter(join(root, 'state'));
    await sn.init();
    const base = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/a', content: 'a' },
      { name: 'etc/b', content: 'b' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/junk', content: 'j' },
    ]);
    await applyLayerToSnapshot(sn, 'base', undefined, Readable.from([base]));
    const mounts = await sn.prepare('ctr', 'base');
    const m = mountAll(mounts);
    try {
      await unlink(join(m.target, 'etc/a'));
      await writeFile(join(m.target, 'etc/c'), 'c');
      await rm(join(m.target, 'var/cache'), { recursive: true });
      await mkdir(join(m.target, 'var/cache')); // overlay makes this directory opaque
      await writeFile(join(m.target, 'var/cache/fresh'), 'f');
    } finally {
      m.unmount();
    }
    const upper = await sn.upperDir('ctr');
    const diff1 = await collect(createLayerFromDiff(upper));
    const diff2 = await collect(createLayerFromDiff(upper));
    expect(diff1.equals(diff2)).toBe(true);
    const names = execFileSync('tar', ['-t'], { input: diff1, encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual([
      'etc/',
      'etc/.wh.a',
      'etc/c',
      'var/',
      'var/cache/',
      'var/cache/.wh..wh..opq',
      'var/cache/fresh',
    ]);

    // applying the diff on the base reproduces the container's view
    await sn.commit('ctr-layer', 'ctr');
    await applyLayerToSnapshot(sn, 'replayed', 'base', Readable.from([diff1]));
    const a = mountAll(await sn.view('va', 'ctr-layer'));
    const b = mountAll(await sn.view('vb', 'replayed'));
    try {
      expect(await treeSnapshot(b.target)).toEqual(await treeSnapshot(a.target));
      expect(existsSync(join(b.target, 'var/cache/junk'))).toBe(false);
    } finally {
      a.unmount();
      b.unmount();
    }
  });

  it('tars a whole directory tree for export', async () => {
    const layer = await makeTar([
      { name: 'x/', type: 'directory' },
      { name: 'x/f', content: 'data', mode: 0o600, uid: 42 },
      { name: 'x/l', type: 'symlink', linkname: '../etc' },
    ]);
    const src = join(root, 'src');
    await mkdir(src);
    await applyLayer(Readable.from([layer]), src);
    const out = join(root, 'out');
    await mkdir(out);
    await applyLayer(tarDirectory(src, { prefix: 'copy' }), out);
    expect(await treeSnapshot(join(out, 'copy'))).toEqual(await treeSnapshot(src));

    // docker cp: a named directory (with its own entry) or a single file
    const cp = join(root, 'cp');
    await mkdir(cp);
    await applyLayer(tarPath(join(src, 'x'), 'renamed'), cp);
    expect(await treeSnapshot(join(cp, 'renamed'))).toEqual(await treeSnapshot(join(src, 'x')));
    const one = execFileSync('tar', ['-tv'], {
      input: await collect(tarPath(join(src, 'x/f'), 'f')),
      encoding: 'utf8',
    });
    expect(one).toMatch(/^-rw------- 42\/0 +4 .* f\n$/);
  });
});
