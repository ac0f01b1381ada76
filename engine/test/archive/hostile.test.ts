import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayerToSnapshot } from '../../src/archive/snapshot.js';
import { isEngineError } from '../../src/errors.js';
import { OverlaySnapshotter } from '../../src/snapshots/overlay.js';
import { makeTar, type TarEntrySpec, treeSnapshot } from './helpers.js';

/**
 * Security corpus: each archive is applied as a snapshot inside a sandbox that also holds
 * "outside" files. Whatever the archive, nothing outside the snapshot may change; bad archives
 * fail with INVALID_ARCHIVE and leave no snapshot behind.
 */
const token = randomBytes(4).toString('hex');
const EVIL = `evil-${token}`;
let sandbox: string;

beforeAll(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'berth-hostile-'));
});
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

interface Case {
  name: string;
  archive: (outside: string) => Promise<Buffer> | Buffer;
  /** undefined: must be refused with INVALID_ARCHIVE; else checks on the extracted upper dir. */
  check?: (upper: string, outside: string) => Promise<void>;
  maxUncompressedBytes?: number;
}

const tarOf = (entries: TarEntrySpec[]) => () => makeTar(entries);
const file = (name: string, content = 'pwned'): TarEntrySpec => ({ name, content });

function hostDigest(): string {
  // the real host files a hostile archive would aim at
  return ['/etc/passwd', '/etc/shadow']
    .map((p) => (existsSync(p) ? execFileSync('stat', ['-c', '%n %s %Y %Z %h', p], { encoding: 'utf8' }) : p))
    .join('');
}

const cases: Case[] = [
  { name: 'parent escape ../evil', archive: tarOf([file(`../${EVIL}`)]) },
  { name: 'parent escape a/../../evil', archive: tarOf([file(`a/../../${EVIL}`)]) },
  { name: 'deep escape ../../../../../../tmp/evil', archive: tarOf([file(`../../../../../../tmp/${EVIL}`)]) },
  {
    name: 'absolute /abs/evil lands inside',
    archive: tarOf([file(`/abs/${EVIL}`)]),
    check: async (upper) => expect(await readFile(join(upper, `abs/${EVIL}`), 'utf8')).toBe('pwned'),
  },
  {
    name: 'symlink to / then a file through it',
    archive: tarOf([{ name: 'link', type: 'symlink', linkname: '/' }, file(`link/${EVIL}`)]),
    check: async (upper) => {
      expect(await readlink(join(upper, 'link'))).toBe('/');
      expect(await readFile(join(upper, EVIL), 'utf8')).toBe('pwned');
    },
  },
  {
    name: 'symlink to ../../.. then a file through it',
    archive: tarOf([{ name: 'link', type: 'symlink', linkname: '../../..' }, file(`link/${EVIL}`)]),
    check: async (upper) => expect(existsSync(join(upper, EVIL))).toBe(true),
  },
  {
    name: 'absolute symlink to a host directory then a file through it',
    archive: (outside) => makeTar([{ name: 'link', type: 'symlink', linkname: outside }, file(`link/${EVIL}`)]),
    check: async (upper, outside) => expect(existsSync(join(upper, outside, EVIL))).toBe(true),
  },
  {
    name: 'symlink swapped in over a directory, then writes below it',
    archive: (outside) =>
      makeTar([
        { name: 'd/', type: 'directory' },
        { name: 'd/sub/', type: 'directory', mtime: new Date(0) },
        file('d/sub/.wh..wh..opq', ''),
        { name: 'd', type: 'symlink', linkname: outside },
        file(`d/sub/${EVIL}`),
      ]),
    check: async (upper, outside) => {
      expect((await lstat(join(upper, 'd'))).isSymbolicLink()).toBe(true);
      expect(existsSync(join(upper, outside, 'sub', EVIL))).toBe(true);
      expect(() =>
        execFileSync('getfattr', ['-h', '--absolute-names', '-n', 'trusted.overlay.opaque', join(outside, 'sub')], {
          stdio: 'ignore',
        }),
      ).toThrow();
    },
  },
  {
    name: 'file over a planted symlink to a host file replaces the link',
    archive: (outside) => makeTar([{ name: 'f', type: 'symlink', linkname: join(outside, 'passwd') }, file('f')]),
    check: async (upper) => {
      const st = await lstat(join(upper, 'f'));
      expect(st.isFile()).toBe(true);
    },
  },
  { name: 'hard link to /etc/passwd', archive: tarOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]) },
  {
    name: 'hard link to ../../outside',
    archive: tarOf([{ name: 'h', type: 'link', linkname: '../../outside/passwd' }]),
  },
  {
    name: 'symlink to /etc then a hard link through it',
    archive: tarOf([
      { name: 'l', type: 'symlink', linkname: '/etc' },
      { name: 'h', type: 'link', linkname: 'l/passwd' },
    ]),
  },
  {
    name: 'symlink to a host dir then a hard link through it',
    archive: (outside) =>
      makeTar([
        { name: 'l', type: 'symlink', linkname: outside },
        { name: 'h', type: 'link', linkname: 'l/passwd' },
      ]),
  },
  {
    name: 'hard link to a symlink links the symlink, not its target',
    archive: (outside) =>
      makeTar([
        { name: 'l', type: 'symlink', linkname: join(outside, 'passwd') },
        { name: 'h', type: 'link', linkname: 'l' },
      ]),
    check: async (upper) => expect((await lstat(join(upper, 'h'))).isSymbolicLink()).toBe(true),
  },
  {
    name: 'device nodes and setuid files land inside',
    archive: tarOf([
      { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o640 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'bin/su', content: '#!', mode: 0o4755, uid: 0 },
      { name: 'bin/wall', content: '#!', mode: 0o2755, gid: 5 },
    ]),
    check: async (upper) => {
      expect((await lstat(join(upper, 'dev/mem'))).rdev).toBe(0x101);
      expect((await lstat(join(upper, 'dev/sda'))).isBlockDevice()).toBe(true);
      expect((await stat(join(upper, 'bin/su'))).mode & 0o7777).toBe(0o4755);
      expect((await stat(join(upper, 'bin/wall'))).mode & 0o7777).toBe(0o2755);
    },
  },
  { name: 'whiteout escaping ../.wh.x', archive: tarOf([file('../.wh.passwd', '')]) },
  { name: 'whiteout of ..: .wh...', archive: tarOf([file('.wh...', '')]) },
  { name: 'whiteout of .: sub/.wh..', archive: tarOf([file('sub/.wh..', '')]) },
  { name: 'empty whiteout name sub/.wh.', archive: tarOf([file('sub/.wh.', '')]) },
  {
    name: 'xattrs naming overlay internals are dropped',
    archive: tarOf([
      {
        name: 'x',
        content: 'x',
        pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.system.evil': 'y' },
      },
    ]),
    check: async (upper) => {
      const out = execFileSync('getfattr', ['-h', '--absolute-names', '-d', '-m', '-', join(upper, 'x')], {
        encoding: 'utf8',
      });
      expect(out).toBe('');
    },
  },
  { name: 'a 300-byte name component', archive: tarOf([file(`${'n'.repeat(300)}`)]) },
  { name: 'a 5000-byte path', archive: tarOf([file(`${`${'d'.repeat(99)}/`.repeat(50)}f`)]) },
  {
    name: 'symlink loop',
    archive: tarOf([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
      file('a/x'),
    ]),
  },
  {
    name: 'truncated tar',
    archive: async () => {
      const t = await makeTar([file('big', 'x'.repeat(10_000)), file('after')]);
      return t.subarray(0, 3000);
    },
  },
  { name: 'garbage bytes', archive: () => randomBytes(4096) },
  {
    name: 'corrupt gzip',
    archive: () => Buffer.concat([gzipSync(Buffer.alloc(10_000)).subarray(0, 40), randomBytes(200)]),
  },
  {
    name: 'gzip bomb stops at the bound',
    maxUncompressedBytes: 8 * 1024 * 1024,
    archive: async () => {
      // one 64 MiB file of zeros compresses to ~64 KiB
      const pack = (await import('tar-stream')).default.pack();
      pack.entry({ name: 'zeros', size: 64 * 1024 * 1024 }, Buffer.alloc(64 * 1024 * 1024));
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack) chunks.push(c as Buffer);
      return gzipSync(Buffer.concat(chunks));
    },
  },
];

describe('hostile layer archives', () => {
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const dir = join(sandbox, `case-${i}`);
      const outside = join(dir, 'outside');
      await mkdir(join(outside, 'sub'), { recursive: true });
      await writeFile(join(outside, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
      const sn = new OverlaySnapshotter(join(dir, 'state'));
      await sn.init();
      const before = await treeSnapshot(dir, ['state'], true);
      const host = hostDigest();
      const data = await c.archive(outside);

      let error: unknown;
      try {
        await applyLayerToSnapshot(sn, 'layer', undefined, Readable.from([data]), {
          ...(c.maxUncompressedBytes ? { maxUncompressedBytes: c.maxUncompressedBytes } : {}),
        });
      } catch (err) {
        error = err;
      }

      expect(await treeSnapshot(dir, ['state'], true)).toEqual(before);
      expect(hostDigest()).toBe(host);
      for (const p of [join('/', EVIL), join(tmpdir(), EVIL), join(sandbox, EVIL), join(dir, EVIL)]) {
        expect(existsSync(p)).toBe(false);
      }
      const snapshotDirs = (await readdir(join(dir, 'state/snapshots'))).filter((n) => n !== 'metadata.json');
      if (c.check) {
        expect(error).toBeUndefined();
        expect(snapshotDirs).toEqual(['1']);
        expect((await readdir(join(dir, 'state/snapshots/1'))).sort()).toEqual(['fs', 'work']);
        await c.check(await sn.upperDir('layer'), outside);
      } else {
        expect(error, 'archive should be refused').toBeDefined();
        expect(isEngineError(error, 'INVALID_ARCHIVE'), String(error)).toBe(true);
        expect(await sn.list()).toEqual([]);
        expect(snapshotDirs).toEqual([]);
      }
    });
  }
});
