import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMountpoint, mountAll, readMountInfo, unmount } from '../../src/mount/mount.js';

let dir: string;
const targets: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth mount-')); // a space: mountinfo escapes it
});

afterEach(async () => {
  for (const t of targets.splice(0)) await unmount(t, { lazy: true });
  await rm(dir, { recursive: true, force: true });
});

async function target(name: string): Promise<string> {
  const t = join(dir, name);
  await mkdir(t, { recursive: true });
  targets.push(t);
  return t;
}

describe('mountAll / unmount', () => {
  it('bind-mounts a directory and unmounts it', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'hello');
    const t = await target('t');
    expect(await isMountpoint(t)).toBe(false);
    await mountAll([{ type: 'bind', source: src, options: ['rbind', 'rw'] }], t);
    expect(await isMountpoint(t)).toBe(true);
    expect(await readFile(join(t, 'f'), 'utf8')).toBe('hello');
    await unmount(t);
    expect(await isMountpoint(t)).toBe(false);
  });

  it('honours ro on a bind mount', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    const t = await target('t');
    await mountAll([{ type: 'bind', source: src, options: ['ro'] }], t);
    await expect(writeFile(join(t, 'x'), 'y')).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('mounts an overlay, including one whose lowerdir list overflows a page', async () => {
    const lowers: string[] = [];
    for (let i = 0; i < 60; i++) {
      // A long common parent, as snapshotters have, so 60 layers exceed mount(2)'s page of data.
      const l = join(dir, 'p'.repeat(64), 'snapshots', String(i), 'fs');
      await mkdir(l, { recursive: true });
      await writeFile(join(l, `file${i}`), String(i));
      lowers.push(l);
    }
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    await mkdir(upper);
    await mkdir(work);
    const options = [`lowerdir=${lowers.join(':')}`, `upperdir=${upper}`, `workdir=${work}`];
    expect(options.join(',').length).toBeGreaterThan(4096);
    const t = await target('merged');
    await mountAll([{ type: 'overlay', source: 'overlay', options }], t);
    expect(await readFile(join(t, 'file0'), 'utf8')).toBe('0');
    expect(await readFile(join(t, 'file59'), 'utf8')).toBe('59');
    const info = (await readMountInfo()).find((m) => m.mountPoint === t);
    expect(info?.fsType).toBe('overlay');
  });

  it('unmounts stacked mounts and is idempotent', async () => {
    const t = await target('stack');
    await mountAll(
      [
        { type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        { type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] },
      ],
      t,
    );
    await unmount(t);
    expect(await isMountpoint(t)).toBe(false);
    await unmount(t);
    await unmount(join(dir, 'does-not-exist'));
  });

  it('reports a failed mount with mount(8)s message', async () => {
    const t = await target('bad');
    await expect(mountAll([{ type: 'bind', source: join(dir, 'nope'), options: [] }], t)).rejects.toThrow(
      /mount bind .*nope/,
    );
  });
});
