import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './types.js';
import { diskUsage } from './usage.js';

/**
 * mount(2) copies at most one page (4096 bytes, NUL included) of option data, and runc passes
 * overlay options as one comma-joined string. Each lower layer costs `<root>/snapshots/<n>/fs:`
 * in `lowerdir=`, so with root `/var/lib/berth` (~30 bytes per layer) about 125 layers fit —
 * close to Docker's own 125-layer cap. We cannot use containerd's relative-path trick (chdir
 * before mounting) because the snapshotter only returns mount specs; instead ids are short
 * decimal numbers and prepare/view refuse a chain whose options would not fit.
 */
export const MAX_MOUNT_OPTIONS_BYTES = 4095;

interface SnapshotRecord {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  created: string;
  labels: Record<string, string>;
}

interface MetadataFile {
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

/**
 * containerd's overlayfs snapshotter, on plain directories: `<root>/snapshots/<n>/fs` holds a
 * snapshot's own changes (the overlay upperdir of an active snapshot, a lowerdir once committed)
 * and `<root>/snapshots/<n>/work` is overlay's workdir. Metadata lives in one JSON file written
 * atomically; directories are created before the metadata names them and removed after it
 * forgets them, so a crash leaves at worst an orphan directory that `init` deletes.
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly dir: string;
  private readonly metaPath: string;
  private meta: MetadataFile = { nextId: 1, snapshots: {} };
  private chain: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.dir = join(root, 'snapshots');
    this.metaPath = join(this.dir, 'metadata.json');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.meta = (await readJson<MetadataFile>(this.metaPath)) ?? { nextId: 1, snapshots: {} };
    const known = new Set(Object.values(this.meta.snapshots).map((s) => String(s.id)));
    for (const name of await readdir(this.dir)) {
      if (/^\d+$/.test(name) && !known.has(name)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }

  prepare(key: string, parent?: string, labels: Record<string, string> = {}): Promise<Mount[]> {
    return this.create('active', key, parent, labels);
  }

  view(key: string, parent?: string): Promise<Mount[]> {
    return this.create('view', key, parent, {});
  }

  async mounts(key: string): Promise<Mount[]> {
    const rec = this.get(key);
    if (rec.kind === 'committed') throw new EngineError('CONFLICT', `snapshot ${key} is committed: it has no mounts`);
    return this.mountsFor(rec);
  }

  commit(name: string, key: string, labels: Record<string, string> = {}): Promise<void> {
    return this.locked(async () => {
      const rec = this.get(key);
      if (rec.kind !== 'active') throw new EngineError('CONFLICT', `snapshot ${key} is not active`);
      if (this.meta.snapshots[name]) throw new EngineError('CONFLICT', `snapshot ${name} already exists`);
      const next = structuredClone(this.meta);
      delete next.snapshots[key];
      next.snapshots[name] = { ...rec, kind: 'committed', labels: { ...rec.labels, ...labels } };
      await this.save(next);
    });
  }

  /** Forget a snapshot and delete its directory; a no-op for an unknown key. */
  remove(key: string): Promise<void> {
    return this.locked(async () => {
      const rec = this.meta.snapshots[key];
      if (!rec) return;
      const children = Object.entries(this.meta.snapshots).filter(([, s]) => s.parent === key);
      if (children.length > 0) {
        throw new EngineError('CONFLICT', `cannot remove snapshot ${key}: it has ${children.length} child snapshot(s)`);
      }
      const next = structuredClone(this.meta);
      delete next.snapshots[key];
      await this.save(next);
      await rm(join(this.dir, String(rec.id)), { recursive: true, force: true });
    });
  }

  async stat(key: string): Promise<SnapshotInfo | undefined> {
    const rec = this.meta.snapshots[key];
    return rec ? toInfo(key, rec) : undefined;
  }

  /** Size of the snapshot's own changes (not its parents'), as `du --apparent-size` counts it. */
  async usage(key: string): Promise<Usage> {
    return diskUsage(this.fsDir(this.get(key)));
  }

  async list(): Promise<SnapshotInfo[]> {
    return Object.entries(this.meta.snapshots).map(([key, rec]) => toInfo(key, rec));
  }

  async upperDir(key: string): Promise<string> {
    return this.fsDir(this.get(key));
  }

  /** Keys of the snapshot and its ancestors, the snapshot first. */
  parentChain(key: string): string[] {
    const out: string[] = [];
    for (let k: string | undefined = key; k !== undefined; k = this.meta.snapshots[k]?.parent) {
      if (out.length > 1000 || !this.meta.snapshots[k]) break;
      out.push(k);
    }
    return out;
  }

  private create(kind: SnapshotKind, key: string, parent: string | undefined, labels: Record<string, string>) {
    return this.locked(async () => {
      if (this.meta.snapshots[key]) throw new EngineError('CONFLICT', `snapshot ${key} already exists`);
      if (parent !== undefined) {
        const p = this.meta.snapshots[parent];
        if (!p) throw new EngineError('CONFLICT', `parent snapshot ${parent} does not exist`);
        if (p.kind !== 'committed') throw new EngineError('CONFLICT', `parent snapshot ${parent} is not committed`);
      }
      const rec: SnapshotRecord = { id: this.meta.nextId, kind, created: new Date().toISOString(), labels };
      if (parent !== undefined) rec.parent = parent;
      const mounts = this.mountsFor(rec); // validates the option length before touching the disk
      const base = join(this.dir, String(rec.id));
      await mkdir(join(base, 'fs'), { recursive: true, mode: 0o755 });
      if (kind === 'active') await mkdir(join(base, 'work'), { recursive: true, mode: 0o700 });
      const next = structuredClone(this.meta);
      next.nextId = rec.id + 1;
      next.snapshots[key] = rec;
      try {
        await this.save(next);
      } catch (err) {
        await rm(base, { recursive: true, force: true });
        throw err;
      }
      return mounts;
    });
  }

  private mountsFor(rec: SnapshotRecord): Mount[] {
    const lowers = rec.parent === undefined ? [] : this.parentChain(rec.parent).map((k) => this.fsDir(this.get(k)));
    if (rec.kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(rec), options: ['rbind', 'ro'] }];
      // overlay needs two lowers when it has no upper; a single layer is a plain read-only bind
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['rbind', 'ro'] }];
      return [overlay([`lowerdir=${lowers.join(':')}`])];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(rec), options: ['rbind', 'rw'] }];
    const base = join(this.dir, String(rec.id));
    return [overlay([`workdir=${join(base, 'work')}`, `upperdir=${join(base, 'fs')}`, `lowerdir=${lowers.join(':')}`])];
  }

  private get(key: string): SnapshotRecord {
    const rec = this.meta.snapshots[key];
    if (!rec) throw new EngineError('CONFLICT', `snapshot ${key} does not exist`);
    return rec;
  }

  private fsDir(rec: SnapshotRecord): string {
    return join(this.dir, String(rec.id), 'fs');
  }

  private async save(next: MetadataFile): Promise<void> {
    await writeJsonAtomic(this.metaPath, next);
    this.meta = next;
  }

  /** Metadata changes run one at a time so read-check-write sequences cannot interleave. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function overlay(options: string[]): Mount {
  // index=off: the same lower layers are shared by many overlays; the inode index would tie a
  // lower to the first upper that used it (EBUSY on the next mount), as dockerd also avoids.
  const all = ['index=off', ...options];
  const bytes = Buffer.byteLength(all.join(','));
  if (bytes > MAX_MOUNT_OPTIONS_BYTES) {
    throw new EngineError(
      'BAD_PARAMETER',
      `too many image layers: overlay mount options need ${bytes} bytes, the kernel accepts ${MAX_MOUNT_OPTIONS_BYTES}`,
    );
  }
  return { type: 'overlay', source: 'overlay', options: all };
}

function toInfo(key: string, rec: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key, kind: rec.kind, created: rec.created, labels: { ...rec.labels } };
  if (rec.parent !== undefined) info.parent = rec.parent;
  return info;
}
