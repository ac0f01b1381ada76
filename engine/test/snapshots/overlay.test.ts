import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { MAX_MOUNT_OPTIONS_BYTES, OverlaySnapshotter } from '../../src/snapshots/overlay.js';
import { mountAll } from './mount.js';

let root: string;
let sn: OverlaySnapshotter;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-snap-'));
  sn = new OverlaySnapshotter(root);
  await sn.init();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('OverlaySnapshotter', () => {
  it('stacks committed layers with real overlay mounts', async () => {
    // a parentless active snapshot is a plain read-write bind of its own directory
    const m1 = await sn.prepare('extract-1');
    expect(m1).toEqual([{ type: 'bind', source: join(root, 'snapshots/1/fs'), options: ['rbind', 'rw'] }]);
    expect(await sn.upperDir('extract-1')).toBe(join(root, 'snapshots/1/fs'));
    await writeFile(join(await sn.upperDir('extract-1'), 'base.txt'), 'base');
    await mkdir(join(await sn.upperDir('extract-1'), 'etc'));
    await sn.commit('layer1', 'extract-1', { 'berth.layer': 'one' });
    expect(await sn.stat('extract-1')).toBeUndefined();
    expect(await sn.stat('layer1')).toMatchObject({
      key: 'layer1',
      kind: 'committed',
      labels: { 'berth.layer': 'one' },
    });

    const m2 = await sn.prepare('ctr', 'layer1');
    expect(m2[0]?.type).toBe('overlay');
    expect(m2[0]?.options).toContain(`lowerdir=${join(root, 'snapshots/1/fs')}`);
    const mnt = mountAll(m2);
    try {
      expect(await readFile(join(mnt.target, 'base.txt'), 'utf8')).toBe('base');
      await writeFile(join(mnt.target, 'etc/new.conf'), 'x');
      await unlink(join(mnt.target, 'base.txt'));
    } finally {
      mnt.unmount();
    }
    // the changes went to the active snapshot's own directory, the lower layer is untouched
    const upper = await sn.upperDir('ctr');
    expect(await readFile(join(upper, 'etc/new.conf'), 'utf8')).toBe('x');
    expect(existsSync(join(root, 'snapshots/1/fs/base.txt'))).toBe(true);
    await sn.commit('layer2', 'ctr');

    // a view of a multi-layer chain is a read-only overlay, of a single layer a read-only bind
    const v = await sn.view('v2', 'layer2');
    expect(v[0]?.options.find((o) => o.startsWith('lowerdir='))).toBe(
      `lowerdir=${join(root, 'snapshots/2/fs')}:${join(root, 'snapshots/1/fs')}`,
    );
    const vm = mountAll(v);
    try {
      expect(existsSync(join(vm.target, 'base.txt'))).toBe(false); // hidden by the whiteout
      expect(await readFile(join(vm.target, 'etc/new.conf'), 'utf8')).toBe('x');
      await expect(writeFile(join(vm.target, 'nope'), 'x')).rejects.toThrow(/EROFS|read-only/);
    } finally {
      vm.unmount();
    }
    expect(await sn.view('v1', 'layer1')).toEqual([
      { type: 'bind', source: join(root, 'snapshots/1/fs'), options: ['rbind', 'ro'] },
    ]);
    expect(await sn.mounts('v1')).toEqual(await sn.mounts('v1'));
  });

  it('refuses to remove a snapshot with children and persists across restarts', async () => {
    await sn.prepare('a');
    await sn.commit('base', 'a');
    await sn.prepare('child', 'base');
    await expect(sn.remove('base')).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    await expect(sn.prepare('child', 'base')).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    await expect(sn.prepare('x', 'missing')).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    await expect(sn.prepare('x', 'child')).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));
    await expect(sn.commit('base', 'child')).rejects.toSatisfy((e) => isEngineError(e, 'CONFLICT'));

    // an orphan directory (crash between mkdir and the metadata write) is cleaned at start
    await mkdir(join(root, 'snapshots/99/fs'), { recursive: true });
    const again = new OverlaySnapshotter(root);
    await again.init();
    expect(existsSync(join(root, 'snapshots/99'))).toBe(false);
    expect((await again.list()).map((s) => [s.key, s.kind, s.parent]).sort()).toEqual([
      ['base', 'committed', undefined],
      ['child', 'active', 'base'],
    ]);
    await again.remove('child');
    await again.remove('base');
    await again.remove('base'); // unknown keys are a no-op
    expect(await again.list()).toEqual([]);
    expect((await readdir(join(root, 'snapshots'))).filter((n) => n !== 'metadata.json')).toEqual([]);
  });

  it('measures usage of a snapshot’s own changes, counting hard links once', async () => {
    await sn.prepare('u');
    const dir = await sn.upperDir('u');
    await writeFile(join(dir, 'a'), Buffer.alloc(1000));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd/b'), Buffer.alloc(24));
    const { link } = await import('node:fs/promises');
    await link(join(dir, 'a'), join(dir, 'd/a-link'));
    expect(await sn.usage('u')).toEqual({ size: 1024, inodes: 3 });
  });

  it('refuses a layer chain whose overlay options exceed one page', async () => {
    // a long root makes every lowerdir entry long, so the limit is reached after a few layers
    const deep = join(root, 'x'.repeat(200));
    const s = new OverlaySnapshotter(deep);
    await s.init();
    let parent: string | undefined;
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      try {
        await s.prepare(`k${i}`, parent);
      } catch (err) {
        expect(isEngineError(err, 'BAD_PARAMETER')).toBe(true);
        expect(String(err)).toMatch(/too many image layers/);
        refused = true;
        break;
      }
      await s.commit(`c${i}`, `k${i}`);
      parent = `c${i}`;
    }
    expect(refused).toBe(true);
    const last = await s.view('v', parent);
    expect(Buffer.byteLength(last[0]!.options.join(','))).toBeLessThanOrEqual(MAX_MOUNT_OPTIONS_BYTES);
  });
});
