import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import { invalidVolumeNameMessage, isValidVolumeName } from './parse.js';

const run = promisify(execFile);

/** Docker labels anonymous volumes with this (moby ≥ 23), so prune/rm -v can tell them apart. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** `docker volume inspect` shape. */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string>;
  Scope: 'local';
}

export interface CreateVolumeOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** Who uses a volume: container IDs (the daemon knows its containers' MountPoints). */
export type VolumeRefs = (name: string) => string[] | Promise<string[]>;

interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Labels: Record<string, string>;
  Options: Record<string, string>;
  CreatedAt: string;
}

/** Local-driver options Docker accepts (`size` needs quota support, which berthd does not have). */
const LOCAL_OPTS = new Set(['type', 'device', 'o']);
const FILTER_KEYS = new Set(['name', 'driver', 'label', 'label!', 'dangling']);
const bad = (msg: string) => new EngineError('BAD_PARAMETER', msg);

/**
 * Named volumes with the local driver: `<root>/volumes/<name>/_data` holds the data,
 * `<root>/volumes/<name>/volume.json` the metadata. A volume created with `type`/`device`
 * options is mounted on `_data` while at least one container uses it, as Docker's local driver.
 */
export class VolumeStore {
  readonly dir: string;
  private readonly records = new Map<string, VolumeRecord>();
  private readonly mountRefs = new Map<string, Set<string>>();
  private loaded = false;

  constructor(
    root: string,
    private readonly refs: VolumeRefs = () => [],
  ) {
    this.dir = join(root, 'volumes');
  }

  /** Load the metadata of existing volumes (once, at daemon start). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o701 });
    for (const name of await readdir(this.dir)) {
      const rec = await readJson<VolumeRecord>(join(this.dir, name, 'volume.json'));
      if (rec) this.records.set(name, rec);
    }
    this.loaded = true;
  }

  mountpoint(name: string): string {
    return join(this.dir, name, '_data');
  }

  /** Create a volume; the same name again returns the existing volume (Docker's idempotent create). */
  async create(opts: CreateVolumeOptions = {}): Promise<Volume> {
    this.assertLoaded();
    const driver = opts.Driver || 'local';
    const name = opts.Name || randomBytes(32).toString('hex');
    const existing = this.records.get(name);
    if (existing) {
      if (driver !== existing.Driver) {
        throw new EngineError('CONFLICT', `create ${name}: volume name must be unique`);
      }
      return this.toVolume(existing);
    }
    // Docker answers 404 here; the catalogue has no plugin-not-found code, so the text matches.
    if (driver !== 'local') throw bad(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    if (!isValidVolumeName(name)) throw bad(invalidVolumeNameMessage(name));
    const options = { ...(opts.DriverOpts ?? {}) };
    for (const key of Object.keys(options)) {
      if (!LOCAL_OPTS.has(key)) throw bad(`create ${name}: invalid option key: "${key}"`);
    }
    if (options.type && !options.device) throw bad(`create ${name}: missing required option: "device"`);
    const rec: VolumeRecord = {
      Name: name,
      Driver: 'local',
      Labels: { ...(opts.Labels ?? {}) },
      Options: options,
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    // Docker's _data is 0755 root:root; the volume directory itself is private to root.
    await mkdir(join(this.dir, name), { recursive: true, mode: 0o701 });
    await mkdir(this.mountpoint(name), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(join(this.dir, name, 'volume.json'), rec);
    this.records.set(name, rec);
    return this.toVolume(rec);
  }

  /** An anonymous volume: a random 64-hex name and the anonymous label. */
  createAnonymous(labels: Record<string, string> = {}): Promise<Volume> {
    return this.create({ Labels: { ...labels, [ANONYMOUS_LABEL]: '' } });
  }

  get(name: string): Volume | undefined {
    const rec = this.records.get(name);
    return rec && this.toVolume(rec);
  }

  inspect(name: string): Volume {
    const v = this.get(name);
    if (!v) throw new EngineError('NO_SUCH_VOLUME', name);
    return v;
  }

  isAnonymous(name: string): boolean {
    return this.records.get(name)?.Labels[ANONYMOUS_LABEL] !== undefined;
  }

  /** `docker volume ls` with filters name, driver, label, label!, dangling. */
  async list(filters: Record<string, string[]> = {}): Promise<Volume[]> {
    this.assertLoaded();
    for (const key of Object.keys(filters)) if (!FILTER_KEYS.has(key)) throw bad(`Invalid filter '${key}'`);
    let dangling: boolean | undefined;
    for (const d of filters.dangling ?? []) {
      if (['true', '1'].includes(d.toLowerCase())) dangling = true;
      else if (['false', '0'].includes(d.toLowerCase())) dangling = false;
      else throw bad(`Invalid filter 'dangling=${d}'`);
    }
    const out: Volume[] = [];
    for (const rec of this.records.values()) {
      if (filters.name?.length && !filters.name.some((n) => matchName(n, rec.Name))) continue;
      if (filters.driver?.length && !filters.driver.includes(rec.Driver)) continue;
      if (filters.label && !filters.label.every((l) => matchLabel(l, rec.Labels))) continue;
      if (filters['label!']?.some((l) => matchLabel(l, rec.Labels))) continue;
      if (dangling !== undefined && ((await this.refs(rec.Name)).length === 0) !== dangling) continue;
      out.push(this.toVolume(rec));
    }
    return out.sort((a, b) => a.Name.localeCompare(b.Name));
  }

  /**
   * `docker volume rm`. A volume in use is refused with Docker's conflict even with force (as
   * moby: force only hides "no such volume" and removes the metadata when the data cannot go).
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    this.assertLoaded();
    const rec = this.records.get(name);
    if (!rec) {
      if (opts.force) return;
      throw new EngineError('NO_SUCH_VOLUME', name);
    }
    const users = await this.refs(name);
    if (users.length > 0 || (this.mountRefs.get(name)?.size ?? 0) > 0) {
      throw new EngineError('CONFLICT', `remove ${name}: volume is in use - [${users.join(', ')}]`);
    }
    this.records.delete(name);
    try {
      await rm(join(this.dir, name), { recursive: true, force: true });
    } catch (err) {
      if (!opts.force) {
        this.records.set(name, rec);
        throw err;
      }
    }
  }

  /**
   * `docker volume prune`: unused volumes matching the label filters. Docker ≥ 23 (API ≥ 1.42)
   * prunes only anonymous volumes unless `all`; older API versions prune every unused volume.
   */
  async prune(filters: Record<string, string[]> = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    this.assertLoaded();
    for (const key of Object.keys(filters)) {
      if (!['label', 'label!', 'all'].includes(key)) throw bad(`Invalid filter '${key}'`);
    }
    const all = (filters.all ?? []).some((v) => ['true', '1'].includes(v.toLowerCase()));
    const deleted: string[] = [];
    let space = 0;
    for (const rec of [...this.records.values()]) {
      if (!all && rec.Labels[ANONYMOUS_LABEL] === undefined) continue;
      if (filters.label && !filters.label.every((l) => matchLabel(l, rec.Labels))) continue;
      if (filters['label!']?.some((l) => matchLabel(l, rec.Labels))) continue;
      if ((await this.refs(rec.Name)).length > 0 || (this.mountRefs.get(rec.Name)?.size ?? 0) > 0) continue;
      const size = await diskUsage(join(this.dir, rec.Name, '_data'));
      await this.remove(rec.Name);
      deleted.push(rec.Name);
      space += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /**
   * Make the volume's data available for a container (`ref`): a volume with `type`/`device`
   * options is mounted on `_data` by the first user and unmounted after the last one.
   */
  async mount(name: string, ref: string): Promise<string> {
    const rec = this.records.get(name);
    if (!rec) throw new EngineError('NO_SUCH_VOLUME', name);
    const users = this.mountRefs.get(name) ?? new Set<string>();
    if (users.size === 0 && rec.Options.device) {
      const args = ['-t', rec.Options.type ?? 'none'];
      if (rec.Options.o) args.push('-o', rec.Options.o);
      await run('mount', [...args, rec.Options.device, this.mountpoint(name)]).catch(
        (err: Error & { stderr?: string }) => {
          throw new EngineError(
            'INTERNAL',
            `error while mounting volume '${this.mountpoint(name)}': ${err.stderr?.trim() || err.message}`,
          );
        },
      );
    }
    users.add(ref);
    this.mountRefs.set(name, users);
    return this.mountpoint(name);
  }

  async unmount(name: string, ref: string): Promise<void> {
    const users = this.mountRefs.get(name);
    if (!users?.delete(ref) || users.size > 0) return;
    this.mountRefs.delete(name);
    if (this.records.get(name)?.Options.device) await run('umount', [this.mountpoint(name)]).catch(() => undefined);
  }

  private toVolume(rec: VolumeRecord): Volume {
    return {
      CreatedAt: rec.CreatedAt,
      Driver: rec.Driver,
      Labels: { ...rec.Labels },
      Mountpoint: this.mountpoint(rec.Name),
      Name: rec.Name,
      Options: { ...rec.Options },
      Scope: 'local',
    };
  }

  private assertLoaded(): void {
    if (!this.loaded) throw new EngineError('INTERNAL', 'volume store used before init()');
  }
}

/** Docker's `name` filter: a regular expression match, falling back to a substring. */
function matchName(filter: string, name: string): boolean {
  try {
    return new RegExp(filter).test(name);
  } catch {
    return name.includes(filter);
  }
}

/** `label=key` (present) or `label=key=value` (equal). */
export function matchLabel(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Bytes used under a directory (files counted once each, symlinks not followed). */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st) return;
    total += st.isDirectory() ? 0 : st.size;
    if (st.isDirectory()) for (const e of await readdir(p)) await walk(join(p, e));
  };
  await walk(dir);
  return total;
}
