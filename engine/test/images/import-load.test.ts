import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/content/digest.js';
import { isEngineError } from '../../src/errors.js';
import { MediaTypes } from '../../src/types/oci.js';
import {
  type BusyboxRootfs,
  buildBusyboxDockerArchive,
  buildBusyboxRootfs,
  busyboxConfig,
  type DockerArchive,
} from '../fixtures/busybox.js';
import { collect, newStore, runIn, type TestStore, tarOf, untar } from './helpers.js';

let rootfs: BusyboxRootfs;
let archive: DockerArchive;
let t: TestStore;

beforeAll(async () => {
  rootfs = await buildBusyboxRootfs();
  archive = await buildBusyboxDockerArchive();
});
afterAll(async () => {
  await rootfs.cleanup();
  await archive.cleanup();
});
beforeEach(async () => {
  t = await newStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('import', () => {
  it('imports a rootfs tar with --change and runs it from a prepared rootfs', async () => {
    const statuses: string[] = [];
    const rec = await t.store.importRootfs(
      createReadStream(rootfs.tarPath),
      { reference: 'bb:imported', changes: ['CMD ["sh"]', 'ENV FOO=bar', 'WORKDIR /home/app', 'USER app'] },
      (e) => e.status && statuses.push(e.status),
    );
    expect(statuses).toContain(rec.id);
    expect(rec.repoTags).toEqual(['docker.io/library/bb:imported']);
    expect(rec.chainIds).toEqual([rootfs.diffId]);
    const img = await t.store.get('bb:imported');
    expect(img.id).toBe(rec.id);
    expect(img.id).toBe(img.manifest.config.digest);
    expect(img.config.config).toMatchObject({ Cmd: ['sh'], Env: ['FOO=bar'], WorkingDir: '/home/app', User: 'app' });
    expect(img.config.rootfs.diff_ids).toEqual([rootfs.diffId]);
    expect(img.manifest.layers[0]?.mediaType).toBe(MediaTypes.ociLayer);
    expect(await t.store.get(rec.id.slice(7, 19))).toMatchObject({ id: rec.id });
    expect(await t.store.get(rec.id)).toMatchObject({ id: rec.id });

    const mounts = await t.store.prepareRootfs(rec.id, 'ctr-1');
    expect(
      runIn(mounts, ['/bin/sh', '-c', 'echo hi from $(cat /etc/hostname); ls /home; cut -d: -f1 /etc/passwd']),
    ).toBe('hi from busybox\napp\nroot\napp\nnobody\n');
    await t.store.snapshotter.remove('ctr-1');

    const hist = await t.store.history('bb:imported');
    expect(hist).toEqual([
      {
        Id: rec.id,
        Created: expect.any(Number),
        CreatedBy: '',
        Tags: ['bb:imported'],
        Size: rec.size,
        Comment: 'Imported from -',
      },
    ]);
    expect(rec.size).toBeGreaterThan(1_000_000);
  });

  it('imports gzip rootfs, reuses the unpacked layer, refuses garbage without leaving snapshots', async () => {
    const gz = gzipSync(await readFile(rootfs.tarPath));
    const a = await t.store.importRootfs(Readable.from([gz]), { reference: 'gz' });
    expect((await t.store.get('gz')).manifest.layers[0]?.mediaType).toBe(MediaTypes.ociLayerGzip);
    const before = await t.store.snapshotter.list();
    await t.store.importRootfs(createReadStream(rootfs.tarPath), {});
    expect((await t.store.snapshotter.list()).map((s) => s.key)).toEqual(before.map((s) => s.key));
    expect(a.chainIds).toEqual([rootfs.diffId]);
    await expect(
      t.store.importRootfs(Readable.from([Buffer.from('not a tar at all'.repeat(100))]), {}),
    ).rejects.toSatisfy((e) => isEngineError(e, 'INVALID_ARCHIVE'));
    expect((await t.store.snapshotter.list()).length).toBe(before.length);
  });
});

describe('load', () => {
  it('loads a classic docker-archive (plain and gzipped) and drops the files no image uses', async () => {
    const lines = await t.store.load(createReadStream(archive.path));
    expect(lines).toEqual(['Loaded image: busybox:latest']);
    const img = await t.store.get('busybox');
    expect(img.id).toBe(archive.imageId);
    expect(img.chainIds).toEqual([archive.diffId]);
    const blobs = (await t.store.content.list()).map((d) => d.digest).sort();
    expect(blobs).toEqual([img.manifestDigest, img.id, img.manifest.layers[0]!.digest].sort());

    const gz = gzipSync(await readFile(archive.path));
    const streamed: string[] = [];
    expect(await t.store.load(Readable.from([gz]), (e) => e.stream && streamed.push(e.stream))).toEqual([
      'Loaded image: busybox:latest',
    ]);
    expect(streamed).toEqual(['Loaded image: busybox:latest\n']);
    expect((await t.store.snapshotter.list()).length).toBe(1);
  });

  it('says so when a tag moves to a newly loaded image', async () => {
    await t.store.load(createReadStream(archive.path));
    const other = await buildBusyboxDockerArchive({ cmd: ['echo', 'other'] });
    try {
      const lines = await t.store.load(createReadStream(other.path));
      expect(lines).toEqual([
        `The image busybox:latest already exists, renaming the old one with ID ${archive.imageId} to empty string`,
        'Loaded image: busybox:latest',
      ]);
      expect((await t.store.list({ dangling: ['true'] })).map((i) => i.id)).toEqual([archive.imageId]);
    } finally {
      await other.cleanup();
    }
  });

  it('loads an OCI layout with a nested index and gzip layers, named or not', async () => {
    const layer = await readFile(rootfs.tarPath);
    const gz = gzipSync(layer);
    const config = Buffer.from(JSON.stringify(busyboxConfig(sha256Digest(layer))));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: sha256Digest(gz), size: gz.length }],
      }),
    );
    const arch = busyboxConfig('x').architecture;
    const inner = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          {
            mediaType: MediaTypes.ociManifest,
            digest: sha256Digest(manifest),
            size: manifest.length,
            platform: { os: 'linux', architecture: arch },
          },
          {
            mediaType: MediaTypes.ociManifest,
            digest: sha256Digest('missing'),
            size: 1,
            platform: { os: 'linux', architecture: 'riscv64' },
          },
        ],
      }),
    );
    const blob = (b: Buffer): [string, Buffer] => [`blobs/sha256/${sha256Digest(b).slice(7)}`, b];
    const layout = (annotations?: Record<string, string>) =>
      tarOf([
        ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
        blob(gz),
        blob(config),
        blob(manifest),
        blob(inner),
        [
          'index.json',
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              manifests: [
                { mediaType: MediaTypes.ociIndex, digest: sha256Digest(inner), size: inner.length, annotations },
              ],
            }),
          ),
        ],
      ]);
    const unnamed = await t.store.load(Readable.from([await layout()]));
    expect(unnamed).toEqual([`Loaded image ID: ${sha256Digest(config)}`]);
    const named = await t.store.load(
      Readable.from([await layout({ 'io.containerd.image.name': 'localhost:5000/oci/busybox:1.0' })]),
    );
    expect(named).toEqual(['Loaded image: localhost:5000/oci/busybox:1.0']);
    const img = await t.store.get('localhost:5000/oci/busybox:1.0');
    expect(img.manifestDigest).toBe(sha256Digest(manifest));
    expect(runIn(await t.store.prepareRootfs(img.id, 'c'), ['/bin/echo', 'ok'])).toBe('ok\n');
    await t.store.snapshotter.remove('c');
  });

  it('refuses archives that are not images and keeps no blobs from them', async () => {
    const bad = await tarOf([['hello.txt', Buffer.from('hi')]]);
    await expect(t.store.load(Readable.from([bad]))).rejects.toSatisfy((e) => isEngineError(e, 'INVALID_ARCHIVE'));
    await expect(t.store.load(Readable.from([Buffer.from('garbage'.repeat(200))]))).rejects.toSatisfy((e) =>
      isEngineError(e, 'INVALID_ARCHIVE'),
    );
    expect(await t.store.content.list()).toEqual([]);
  });
});

describe('createFromManifest', () => {
  it('registers an image whose blobs a pull already stored, with its repo digest', async () => {
    const layer = await readFile(rootfs.tarPath);
    const config = Buffer.from(JSON.stringify(busyboxConfig(sha256Digest(layer))));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: MediaTypes.dockerLayer, digest: sha256Digest(layer), size: layer.length }],
      }),
    );
    for (const b of [layer, config, manifest]) await t.store.content.ingest(Readable.from([b]));
    const events: string[] = [];
    const rec = await t.store.createFromManifest(
      sha256Digest(manifest),
      { reference: 'localhost:5000/pulled:1', repoDigest: `localhost:5000/pulled@${sha256Digest(manifest)}` },
      (e) => e.status && events.push(e.status),
    );
    expect(rec.id).toBe(sha256Digest(config));
    expect(rec.repoTags).toEqual(['localhost:5000/pulled:1']);
    expect(rec.repoDigests).toEqual([`localhost:5000/pulled@${sha256Digest(manifest)}`]);
    expect(events).toContain('Loading layer');
    expect((await t.store.get(`localhost:5000/pulled@${sha256Digest(manifest)}`)).id).toBe(rec.id);
  });
});

describe('save', () => {
  it('writes docker-archive and OCI layout in one tar, and loads back to the same image', async () => {
    await t.store.load(createReadStream(archive.path));
    await t.store.tag('busybox', 'busybox', 'v2');
    const data = await collect(await t.store.save(['busybox']));
    const files = await untar(data);
    const names = [...files.keys()].filter((n) => !n.startsWith('blobs/sha256/'));
    expect(names.sort()).toEqual(['blobs/', 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
    const manifestJson = JSON.parse(files.get('manifest.json')!.toString());
    expect(manifestJson).toEqual([
      {
        Config: `blobs/sha256/${archive.imageId.slice(7)}`,
        RepoTags: ['busybox:latest', 'busybox:v2'],
        Layers: [expect.stringMatching(/^blobs\/sha256\//)],
      },
    ]);
    const index = JSON.parse(files.get('index.json')!.toString());
    expect(
      index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']),
    ).toEqual(['docker.io/library/busybox:latest', 'docker.io/library/busybox:v2']);
    // the same bytes as `tar` sees them
    expect(execFileSync('tar', ['-t'], { input: data, encoding: 'utf8' })).toContain('oci-layout');

    const other = await newStore();
    try {
      expect(await other.store.load(Readable.from([data]))).toEqual([
        'Loaded image: busybox:latest',
        'Loaded image: busybox:v2',
      ]);
      const a = await t.store.get('busybox');
      const b = await other.store.get('busybox:v2');
      expect(b.id).toBe(a.id);
      expect(b.manifestDigest).toBe(a.manifestDigest);
      // the OCI half alone is a valid layout too
      const ociOnly = await tarOf(
        [...files].filter(([n]) => !['manifest.json', 'repositories'].includes(n) && !n.endsWith('/')),
      );
      const third = await newStore();
      try {
        expect(await third.store.load(Readable.from([ociOnly]))).toEqual([
          'Loaded image: busybox:latest',
          'Loaded image: busybox:v2',
        ]);
      } finally {
        await third.cleanup();
      }
    } finally {
      await other.cleanup();
    }
    // saving by id writes no tags
    const byId = await untar(await collect(await t.store.save([archive.imageId])));
    expect(JSON.parse(byId.get('manifest.json')!.toString())[0].RepoTags).toBeNull();
    await expect(t.store.save(['nope'])).rejects.toSatisfy((e) => isEngineError(e, 'NO_SUCH_IMAGE'));
  });
});
