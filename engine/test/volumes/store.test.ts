import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { ANONYMOUS_LABEL, VolumeStore } from '../../src/volumes/store.js';

let root: string;
let inUse: Map<string, string[]>;
let store: VolumeStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-vol-'));
  inUse = new Map();
  store = new VolumeStore(root, (name) => inUse.get(name) ?? []);
  await store.init();
});
afterEach(async () => {
  execFileSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/mounts | xargs -r -n1 umount`]);
  await rm(root, { recursive: true, force: true });
});

describe('VolumeStore', () => {
  it('creates a local volume with Docker inspect shape and is idempotent by name', async () => {
    const v = await store.create({ Name: 'data', Labels: { app: 'web' } });
    expect(v).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Driver: 'local',
      Labels: { app: 'web' },
      Mountpoint: join(root, 'volumes', 'data', '_data'),
      Name: 'data',
      Options: {},
      Scope: 'local',
    });
    expect((await stat(v.Mountpoint)).mode & 0o777).toBe(0o755);
    await writeFile(join(v.Mountpoint, 'keep'), 'x');
    const again = await store.create({ Name: 'data' });
    expect(again.CreatedAt).toBe(v.CreatedAt);
    expect(again.Labels).toEqual({ app: 'web' });
    expect(await readFile(join(v.Mountpoint, 'keep'), 'utf8')).toBe('x');
  });

  it('survives a restart (metadata on disk)', async () => {
    await store.create({ Name: 'persist', Labels: { a: '1' } });
    const reopened = new VolumeStore(root);
    await reopened.init();
    expect(reopened.inspect('persist').Labels).toEqual({ a: '1' });
  });

  it('refuses names and options Docker refuses', async () => {
    await expect(store.create({ Name: 'a/b' })).rejects.toThrow(
      'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    await expect(store.create({ Name: 'x' })).rejects.toThrow('includes invalid characters');
    await expect(store.create({ Name: 'ok', DriverOpts: { bogus: '1' } })).rejects.toThrow(
      'create ok: invalid option key: "bogus"',
    );
    await expect(store.create({ Name: 'ok', Driver: 'nfs-plugin' })).rejects.toThrow('plugin "nfs-plugin" not found');
    expect(() => store.inspect('missing')).toThrow('get missing: no such volume');
  });

  it('creates anonymous volumes with 64-hex names and the anonymous label', async () => {
    const v = await store.createAnonymous();
    expect(v.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(v.Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    expect(store.isAnonymous(v.Name)).toBe(true);
  });

  it('lists with name, label, label! and dangling filters', async () => {
    await store.create({ Name: 'web-data', Labels: { tier: 'front', env: 'prod' } });
    await store.create({ Name: 'db-data', Labels: { tier: 'back' } });
    await store.create({ Name: 'cache' });
    inUse.set('db-data', ['c1']);
    const names = async (f: Record<string, string[]>) => (await store.list(f)).map((v) => v.Name);
    expect(await names({})).toEqual(['cache', 'db-data', 'web-data']);
    expect(await names({ name: ['data'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ label: ['tier'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ label: ['tier=front'] })).toEqual(['web-data']);
    expect(await names({ label: ['tier', 'env=prod'] })).toEqual(['web-data']);
    expect(await names({ 'label!': ['tier'] })).toEqual(['cache']);
    expect(await names({ dangling: ['true'] })).toEqual(['cache', 'web-data']);
    expect(await names({ dangling: ['false'] })).toEqual(['db-data']);
    await expect(store.list({ color: ['x'] })).rejects.toThrow("Invalid filter 'color'");
    await expect(store.list({ dangling: ['maybe'] })).rejects.toThrow("Invalid filter 'dangling=maybe'");
  });

  it('refuses to remove a volume in use, even with force; force hides a missing one', async () => {
    await store.create({ Name: 'busy' });
    inUse.set('busy', ['abc123']);
    const err = await store.remove('busy', { force: true }).catch((e: unknown) => e);
    expect(isEngineError(err, 'CONFLICT')).toBe(true);
    expect((err as Error).message).toBe('remove busy: volume is in use - [abc123]');
    inUse.delete('busy');
    await store.remove('busy');
    expect(store.get('busy')).toBeUndefined();
    await expect(store.remove('busy')).rejects.toThrow('get busy: no such volume');
    await store.remove('busy', { force: true });
  });

  it('prunes unused anonymous volumes by default and every unused one with all=true', async () => {
    const anon = await store.createAnonymous();
    const anonBusy = await store.createAnonymous();
    await store.create({ Name: 'named', Labels: { keep: 'no' } });
    await store.create({ Name: 'named-busy' });
    inUse.set(anonBusy.Name, ['c']);
    inUse.set('named-busy', ['c']);
    await writeFile(join(anon.Mountpoint, 'f'), 'hello');
    expect(await store.prune()).toEqual({ VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    expect((await store.prune({ all: ['true'], label: ['keep=yes'] })).VolumesDeleted).toEqual([]);
    expect((await store.prune({ all: ['true'] })).VolumesDeleted).toEqual(['named']);
    expect((await store.list()).map((v) => v.Name).sort()).toEqual([anonBusy.Name, 'named-busy'].sort());
  });

  it('mounts a volume with type/device options while a container uses it', async () => {
    const v = await store.create({ Name: 'ram', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    expect(v.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    const mounted = () => execFileSync('findmnt', ['-n', '-o', 'FSTYPE', v.Mountpoint]).toString().trim();
    await store.mount('ram', 'c1');
    await store.mount('ram', 'c2');
    expect(mounted()).toBe('tmpfs');
    await expect(store.remove('ram')).rejects.toThrow('volume is in use');
    await store.unmount('ram', 'c1');
    expect(mounted()).toBe('tmpfs');
    await store.unmount('ram', 'c2');
    expect(() => mounted()).toThrow();
    await store.remove('ram');
  });
});
