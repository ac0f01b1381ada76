import { createReadStream, existsSync } from 'node:fs';
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { createImageService } from '../../src/images/service.js';
import { createLogger } from '../../src/log.js';
import { buildBusyboxDockerArchive, type DockerArchive } from '../fixtures/busybox.js';
import { newStore, runIn, type TestStore, withMounted } from './helpers.js';

let archive: DockerArchive;
let t: TestStore;
let busyboxId: string;
const CTR = 'c'.repeat(64);

beforeAll(async () => {
  archive = await buildBusyboxDockerArchive();
});
afterAll(async () => {
  await archive.cleanup();
});
beforeEach(async () => {
  t = await newStore();
  await t.store.load(createReadStream(archive.path));
  busyboxId = archive.imageId;
});
afterEach(async () => {
  await t.cleanup();
});

/** Prepare a container rootfs, change it through a real overlay mount, commit it. */
async function commitChange(parent: string, reference: string, change: (root: string) => Promise<void>) {
  const key = `ctr-${reference.replace(/\W/g, '-')}`;
  const mounts = await t.store.prepareRootfs(parent, key);
  await withMounted(mounts, change);
  const base = await t.store.get(parent);
  const rec = await t.store.commit(
    key,
    base.id,
    { ...base.config, config: { ...base.config.config, Cmd: ['cat', '/hello'] } },
    {
      reference,
      createdBy: '/bin/sh -c echo hello > /hello',
      comment: 'step',
    },
  );
  await t.store.snapshotter.remove(key);
  return rec;
}

describe('tag, list and filters', () => {
  it('tags, lists with filters, and persists across restarts', async () => {
    await t.store.tag('busybox', 'myrepo', 'v1');
    await t.store.tag(busyboxId.slice(7, 19), 'localhost:5000/team/app:v2');
    const img = await t.store.get('myrepo:v1');
    expect(img.repoTags).toEqual([
      'docker.io/library/busybox:latest',
      'docker.io/library/myrepo:v1',
      'localhost:5000/team/app:v2',
    ]);
    expect((await t.store.list({ reference: ['myrepo*'] })).map((i) => i.id)).toEqual([busyboxId]);
    expect(await t.store.list({ reference: ['nomatch*'] })).toEqual([]);
    expect((await t.store.list({ reference: ['localhost:5000/team/*'] })).length).toBe(1);
    expect(await t.store.list({ dangling: ['true'] })).toEqual([]);
    await expect(t.store.list({ bogus: ['x'] })).rejects.toSatisfy((e) => isEngineError(e, 'BAD_PARAMETER'));
    await expect(t.store.get('nothere:latest')).rejects.toSatisfy((e) => isEngineError(e, 'NO_SUCH_IMAGE'));
    await expect(t.store.tag('busybox', 'Bad Name')).rejects.toSatisfy((e) => isEngineError(e, 'INVALID_REFERENCE'));

    const again = await createImageService(t.root, createLogger('silent'));
    expect((await again.get('localhost:5000/team/app:v2')).id).toBe(busyboxId);
    expect((await again.list()).length).toBe(1);
  });

  it('filters by label, before and since', async () => {
    // a docker-archive is not a rootfs, but any tar imports; what matters here is the label
    const labelled = await t.store.importRootfs(createReadStream(join(archive.dir, 'busybox.tar')), {
      reference: 'labelled',
      changes: ['LABEL tier=web'],
    });
    expect((await t.store.list({ label: ['tier=web'] })).map((i) => i.id)).toEqual([labelled.id]);
    expect((await t.store.list({ label: ['tier'] })).length).toBe(1);
    expect((await t.store.list({ label: ['tier=db'] })).length).toBe(0);
    expect((await t.store.list({ since: ['busybox'] })).map((i) => i.id)).toEqual([labelled.id]);
    expect((await t.store.list({ before: ['labelled'] })).map((i) => i.id)).toEqual([busyboxId]);
  });
});

describe('remove and prune', () => {
  it('untags first, deletes with the last reference, and cleans layers and blobs', async () => {
    await t.store.tag('busybox', 'other');
    expect(await t.store.remove('other', {})).toEqual([{ Untagged: 'other:latest' }]);
    const layerSnapshot = archive.diffId;
    expect(await t.store.snapshotter.stat(layerSnapshot)).toBeDefined();
    expect(await t.store.remove('busybox', {})).toEqual([{ Untagged: 'busybox:latest' }, { Deleted: busyboxId }]);
    expect(await t.store.snapshotter.stat(layerSnapshot)).toBeUndefined();
    expect(await t.store.content.list()).toEqual([]);
    await expect(t.store.get('busybox')).rejects.toSatisfy((e) => isEngineError(e, 'NO_SUCH_IMAGE'));
  });

  it('refuses images used by containers unless forced; running containers are never forced', async () => {
    t.users.set(busyboxId, { containerId: CTR, running: false });
    await expect(t.store.remove('busybox', {})).rejects.toSatisfy(
      (e) => isEngineError(e, 'IMAGE_IN_USE') && /container cccccccccccc is using its referenced image/.test(String(e)),
    );
    await expect(t.store.remove(busyboxId, {})).rejects.toSatisfy(
      (e) => isEngineError(e, 'CONFLICT') && /being used by stopped container/.test(String(e)),
    );
    t.users.set(busyboxId, { containerId: CTR, running: true });
    expect(await t.store.remove('busybox', { force: true })).toEqual([{ Untagged: 'busybox:latest' }]);
    expect((await t.store.get(busyboxId)).repoTags).toEqual([]);
    await expect(t.store.remove(busyboxId, { force: true })).rejects.toSatisfy((e) =>
      /cannot be forced/.test(String(e)),
    );
    t.users.set(busyboxId, { containerId: CTR, running: false });
    expect(await t.store.remove(busyboxId, { force: true })).toEqual([{ Deleted: busyboxId }]);
  });

  it('keeps layers with noprune, and prunes dangling images', async () => {
    await t.store.tag('busybox', 'keep');
    await t.store.remove('busybox', {});
    expect(await t.store.remove('keep', { noprune: true })).toEqual([
      { Untagged: 'keep:latest' },
      { Deleted: busyboxId },
    ]);
    expect(await t.store.snapshotter.stat(archive.diffId)).toBeDefined();

    await t.store.load(createReadStream(archive.path));
    const other = await buildBusyboxDockerArchive({ cmd: ['true'] });
    try {
      await t.store.load(createReadStream(other.path)); // busybox:latest moves: the first image is dangling
    } finally {
      await other.cleanup();
    }
    t.users.clear();
    const res = await t.store.prune({ dangling: true });
    expect(res.ImagesDeleted).toEqual([{ Deleted: busyboxId }]);
    expect((await t.store.list()).map((i) => i.repoTags)).toEqual([['docker.io/library/busybox:latest']]);
    // -a prunes images no container uses, tagged or not
    const all = await t.store.prune({ dangling: false });
    expect(all.ImagesDeleted.map((r) => Object.keys(r)[0])).toEqual(['Untagged', 'Deleted']);
    expect(all.SpaceReclaimed).toBeGreaterThan(1_000_000);
    expect(await t.store.snapshotter.list()).toEqual([]);
  });
});

describe('commit and history', () => {
  it('commits a container’s changes as a new layer on the parent and shows Docker’s history', async () => {
    const rec = await commitChange('busybox', 'committed:v1', async (root) => {
      await writeFile(join(root, 'hello'), 'hello\n');
      await unlink(join(root, 'etc/hostname'));
      await rm(join(root, 'var/www'), { recursive: true });
    });
    const img = await t.store.get('committed:v1');
    expect(img.parent).toBe(busyboxId);
    expect(img.config.rootfs.diff_ids.length).toBe(2);
    expect(img.config.config?.Cmd).toEqual(['cat', '/hello']);
    expect(img.manifest.layers.length).toBe(2);
    expect(img.chainIds[0]).toBe(archive.diffId);

    const mounts = await t.store.prepareRootfs(rec.id, 'check');
    expect(runIn(mounts, ['/bin/sh', '-c', 'cat /hello; ls /etc; ls /var'])).toBe('hello\ngroup\npasswd\n');
    await t.store.snapshotter.remove('check');

    const hist = await t.store.history('committed:v1');
    expect(hist.map((h) => [h.Id, h.CreatedBy, h.Tags, h.Comment])).toEqual([
      [rec.id, '/bin/sh -c echo hello > /hello', ['committed:v1'], 'step'],
      [busyboxId, '/bin/sh -c #(nop) ADD file:busybox in / ', ['busybox:latest'], ''],
    ]);
    expect(hist[0]!.Size).toBe(6);

    // the parent cannot go while a child image stands on it; untagging it is fine
    expect(await t.store.remove('busybox', {})).toEqual([{ Untagged: 'busybox:latest' }]);
    await expect(t.store.remove(busyboxId, {})).rejects.toSatisfy((e) => /dependent child images/.test(String(e)));
    // an untagged parent is hidden from `docker images` but shown with --all
    expect((await t.store.list()).map((i) => i.id)).toEqual([rec.id]);
    expect((await t.store.list({}, true)).length).toBe(2);
    // removing the child prunes the untagged parent and every layer
    const removed = await t.store.remove('committed:v1', {});
    expect(removed).toEqual([{ Untagged: 'committed:v1' }, { Deleted: rec.id }, { Deleted: busyboxId }]);
    expect(await t.store.snapshotter.list()).toEqual([]);
    expect((await t.store.diskUsage()).layersSize).toBe(0);
  });

  it('commits an empty layer and an uncompressed layer, and reports disk usage', async () => {
    const base = await t.store.get('busybox');
    await t.store.prepareRootfs('busybox', 'k1');
    const meta = await t.store.commit(
      'k1',
      base.id,
      { ...base.config, config: { Env: ['X=1'] } },
      { emptyLayer: true, createdBy: 'ENV X=1' },
    );
    expect((await t.store.get(meta.id)).config.rootfs.diff_ids).toEqual(base.config.rootfs.diff_ids);
    expect((await t.store.history(meta.id))[0]).toMatchObject({ CreatedBy: 'ENV X=1', Size: 0 });
    await t.store.snapshotter.remove('k1');

    await withMounted(await t.store.prepareRootfs('busybox', 'k2'), (root) => writeFile(join(root, 'x'), 'x'));
    const plain = await t.store.commit('k2', base.id, base.config, { compression: 'none', reference: 'plain' });
    const layer = (await t.store.get('plain')).manifest.layers[1]!;
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(layer.digest).toBe((await t.store.get('plain')).config.rootfs.diff_ids[1]);
    expect(existsSync(t.store.content.path(layer.digest))).toBe(true);
    expect((await readFile(t.store.content.path(layer.digest))).includes(Buffer.from('x\0'))).toBe(true);
    await t.store.snapshotter.remove('k2');
    expect((await t.store.diskUsage()).layersSize).toBeGreaterThan(1_000_000);
    expect(plain.parent).toBe(base.id);
  });
});
