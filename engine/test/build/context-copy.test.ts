import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildContext, cleanSourcePath, resolveSources } from '../../src/build/context.js';
import { archiveFormat, copySources } from '../../src/build/copy.js';

let tmp: string;
let srcDir: string;

async function files(dir: string, entries: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(entries)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
}

async function contextOf(dir: string, name = 'ctx', materialize = true): Promise<BuildContext> {
  const tarPath = join(tmp, `${name}.tar`);
  execFileSync('tar', ['-C', dir, '--owner=0', '--group=0', '-cf', tarPath, '.']);
  const ctx = await BuildContext.receive(createReadStream(tarPath), join(tmp, name));
  if (materialize) await ctx.materialize();
  return ctx;
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'berth-build-'));
  srcDir = join(tmp, 'src');
  await files(srcDir, {
    Dockerfile: 'FROM bb\n',
    '.dockerignore': '**/*.log\nsecret/\n!secret/public\n',
    'a.txt': 'a',
    'b.txt': 'b',
    'app.log': 'log',
    'sub/c.txt': 'c',
    'sub/deep/d.txt': 'd',
    'sub/skip.log': 'x',
    'secret/key': 'k',
    'secret/public': 'p',
  });
  await symlink('../../../etc/passwd', join(srcDir, 'escape'));
  await symlink('sub', join(srcDir, 'sublink'));
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('BuildContext', () => {
  it('finds the Dockerfile (default, lower-case fallback, custom name) and refuses paths outside', async () => {
    const ctx = await contextOf(srcDir);
    expect((await ctx.dockerfile(undefined)).text).toBe('FROM bb\n');
    await expect(ctx.dockerfile('nope/Dockerfile')).rejects.toThrow(
      /Cannot locate specified Dockerfile: nope\/Dockerfile/,
    );
    await expect(ctx.dockerfile('../Dockerfile')).rejects.toThrow(/must be within the build context/);
    await ctx.remove();
    await rm(join(srcDir, 'Dockerfile'));
    await writeFile(join(srcDir, 'dockerfile'), 'FROM lower\n');
    const lower = await contextOf(srcDir, 'ctx2');
    expect(await lower.dockerfile(undefined)).toEqual({ name: 'dockerfile', text: 'FROM lower\n' });
  });

  it('resolves sources with .dockerignore applied, wildcards, symlinks kept inside the context', async () => {
    const ctx = await contextOf(srcDir);
    const names = async (patterns: string[]) => (await ctx.sources(patterns)).map((s) => [s.origin, s.isDir]);
    expect(await names(['*.txt'])).toEqual([
      ['a.txt', false],
      ['b.txt', false],
    ]);
    expect(await names(['sub/*'])).toEqual([
      ['sub/c.txt', false],
      ['sub/deep', true],
    ]);
    expect(await names(['/a.txt', './sub/../b.txt'])).toEqual([
      ['a.txt', false],
      ['b.txt', false],
    ]);
    expect(await names(['sublink'])).toEqual([['sublink', true]]);
    expect(await names(['secret/public'])).toEqual([['secret/public', false]]);
    await expect(ctx.sources(['app.log'])).rejects.toThrow(
      /file not found in build context or excluded by .dockerignore: stat app.log/,
    );
    await expect(ctx.sources(['secret/key'])).rejects.toThrow(/excluded by .dockerignore/);
    await expect(ctx.sources(['missing'])).rejects.toThrow(/stat missing: file does not exist/);
    await expect(ctx.sources(['*.none'])).rejects.toThrow(/no source files were specified/);
    // a symlink pointing far above the context resolves inside it, where nothing is
    await expect(ctx.sources(['escape'])).rejects.toThrow(/file not found/);
    expect(() => cleanSourcePath('../outside')).toThrow(/forbidden path outside the build context/);
  });

  it('resolves and digests sources from the index alone, without extracting, the same as from the files', async () => {
    const lazy = await contextOf(srcDir, 'lazy', false);
    expect(existsSync(lazy.root)).toBe(false);
    const eager = await contextOf(srcDir, 'eager', true);
    for (const patterns of [['.'], ['a.txt'], ['*.txt'], ['sub/*'], ['sublink'], ['a.txt', 'sub'], ['secret/public']]) {
      const l = await lazy.sources(patterns);
      const e = await resolveSources(eager.root, patterns, (rel) => eager.isExcluded(rel), true);
      expect(l.map((s) => [s.origin, relative(lazy.root, s.path), s.isDir])).toEqual(
        e.map((s) => [s.origin, relative(eager.root, s.path), s.isDir]),
      );
      expect(await lazy.digest(l)).toBe(await lazy.digest(l));
    }
    await expect(lazy.sources(['app.log'])).rejects.toThrow(/excluded by .dockerignore/);
    await expect(lazy.sources(['escape'])).rejects.toThrow(/file not found/);
    expect((await lazy.dockerfile(undefined)).text).toBe('FROM bb\n');
    expect(existsSync(lazy.root)).toBe(false);
  });

  it('digests follow content and mode, not mtime, and skip ignored files', async () => {
    const ctx = await contextOf(srcDir);
    const d1 = await ctx.digest(await ctx.sources(['.']));
    const f1 = await ctx.digest(await ctx.sources(['a.txt']));
    expect(d1).toMatch(/^dir:[0-9a-f]{64}$/);
    expect(f1).toMatch(/^file:[0-9a-f]{64}$/);
    expect(await ctx.digest(await ctx.sources(['a.txt', 'b.txt']))).toMatch(/^multi:[0-9a-f]{64}$/);

    await utimes(join(srcDir, 'a.txt'), new Date(1000), new Date(1000));
    await writeFile(join(srcDir, 'app.log'), 'changed but ignored');
    const same = await contextOf(srcDir, 'same');
    expect(await same.digest(await same.sources(['.']))).toBe(d1);
    expect(await same.digest(await same.sources(['a.txt']))).toBe(f1);

    await chmod(join(srcDir, 'a.txt'), 0o755);
    const mode = await contextOf(srcDir, 'mode');
    expect(await mode.digest(await mode.sources(['a.txt']))).not.toBe(f1);

    await writeFile(join(srcDir, 'sub/deep/d.txt'), 'D');
    const content = await contextOf(srcDir, 'content');
    expect(await content.digest(await content.sources(['.']))).not.toBe(d1);
    expect(await content.digest(await content.sources(['a.txt']))).toBe(
      await mode.digest(await mode.sources(['a.txt'])),
    );
  });
});

describe('copySources', () => {
  let rootfs: string;
  let ctx: BuildContext;
  beforeEach(async () => {
    rootfs = join(tmp, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await mkdir(join(rootfs, 'existing'), { recursive: true });
    await symlink('/etc', join(rootfs, 'etclink'));
    ctx = await contextOf(srcDir);
  });

  it('file to a name, into a directory ("/" or existing), with new parents', async () => {
    await copySources(rootfs, '/newdir/x/renamed.txt', await ctx.sources(['a.txt']), {});
    expect(await readFile(join(rootfs, 'newdir/x/renamed.txt'), 'utf8')).toBe('a');
    expect((await stat(join(rootfs, 'newdir'))).mode & 0o777).toBe(0o755);
    await copySources(rootfs, '/into/', await ctx.sources(['a.txt', 'b.txt']), {});
    expect(await readFile(join(rootfs, 'into/b.txt'), 'utf8')).toBe('b');
    await copySources(rootfs, '/existing', await ctx.sources(['sub/c.txt']), {});
    expect(await readFile(join(rootfs, 'existing/c.txt'), 'utf8')).toBe('c');
  });

  it('a directory copies its contents, merging, and leaves ignored files out', async () => {
    await files(join(rootfs, 'app'), { 'old.txt': 'old' });
    await copySources(rootfs, '/app', await ctx.sources(['sub']), {});
    expect(await readFile(join(rootfs, 'app/c.txt'), 'utf8')).toBe('c');
    expect(await readFile(join(rootfs, 'app/deep/d.txt'), 'utf8')).toBe('d');
    expect(await readFile(join(rootfs, 'app/old.txt'), 'utf8')).toBe('old');
    await expect(lstat(join(rootfs, 'app/skip.log'))).rejects.toThrow();
    await copySources(rootfs, '/whole/', await ctx.sources(['.']), {});
    expect(await readFile(join(rootfs, 'whole/secret/public'), 'utf8')).toBe('p');
    await expect(lstat(join(rootfs, 'whole/secret/key'))).rejects.toThrow();
    await expect(lstat(join(rootfs, 'whole/app.log'))).rejects.toThrow();
    expect(await readlink(join(rootfs, 'whole/sublink'))).toBe('sub'); // symlinks inside are copied as links
  });

  it('owner: root by default, --chown identity, or kept (COPY --from)', async () => {
    execFileSync('chown', ['-R', '123:456', join(ctx.root, 'sub')]);
    await copySources(rootfs, '/r/', await ctx.sources(['sub']), { identity: { uid: 0, gid: 0 } });
    expect((await stat(join(rootfs, 'r/c.txt'))).uid).toBe(0);
    await copySources(rootfs, '/c/', await ctx.sources(['sub']), { identity: { uid: 1000, gid: 1001 } });
    const st = await stat(join(rootfs, 'c/deep/d.txt'));
    expect([st.uid, st.gid]).toEqual([1000, 1001]);
    expect((await stat(join(rootfs, 'c'))).uid).toBe(1000); // created by this copy
    await copySources(rootfs, '/k/', await ctx.sources(['sub']), {});
    expect((await stat(join(rootfs, 'k/c.txt'))).uid).toBe(123);
  });

  it('symlinks in the destination resolve inside the root; a link at the target is replaced, not followed', async () => {
    await copySources(rootfs, '/etclink/', await ctx.sources(['a.txt']), {});
    expect(await readFile(join(rootfs, 'etc/a.txt'), 'utf8')).toBe('a');
    await symlink('/etc/passwd-target', join(rootfs, 'existing/b.txt'));
    await copySources(rootfs, '/existing/', await ctx.sources(['b.txt']), {});
    expect((await lstat(join(rootfs, 'existing/b.txt'))).isFile()).toBe(true);
    await expect(lstat(join(rootfs, 'etc/passwd-target'))).rejects.toThrow();
  });

  it('ADD unpacks local tar archives (plain, gzip, xz) and copies other files as they are', async () => {
    const payload = join(tmp, 'payload');
    await files(payload, { 'p/one.txt': '1', 'p/two.txt': '2' });
    const withArchives = join(tmp, 'withArchives');
    await files(withArchives, { 'plain.txt': 'not a tar' });
    execFileSync('tar', ['-C', payload, '-cf', join(withArchives, 'a.tar'), 'p']);
    execFileSync('tar', ['-C', payload, '-czf', join(withArchives, 'a.tgz'), 'p']);
    execFileSync('tar', ['-C', payload, '-cJf', join(withArchives, 'a.txz'), 'p']);
    const actx = await contextOf(withArchives, 'actx');
    expect(await archiveFormat(join(actx.root, 'a.tar'))).toBe('tar');
    expect(await archiveFormat(join(actx.root, 'a.tgz'))).toBe('compressed');
    expect(await archiveFormat(join(actx.root, 'a.txz'))).toBe('xz');
    expect(await archiveFormat(join(actx.root, 'plain.txt'))).toBeUndefined();
    for (const name of ['a.tar', 'a.tgz', 'a.txz']) {
      expect(await archiveFormat(join(actx.root, name))).toBeDefined();
      await copySources(rootfs, `/x-${name}`, await actx.sources([name]), { decompress: true });
      expect(await readFile(join(rootfs, `x-${name}/p/two.txt`), 'utf8')).toBe('2');
    }
    await copySources(rootfs, '/plain/', await actx.sources(['plain.txt']), { decompress: true });
    expect(await readFile(join(rootfs, 'plain/plain.txt'), 'utf8')).toBe('not a tar');
    await copySources(rootfs, '/notunpacked/', await actx.sources(['a.tar']), {});
    expect((await stat(join(rootfs, 'notunpacked/a.tar'))).isFile()).toBe(true);
  });
});
