import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import { unmountBelow } from '../mount/mount.js';
import type { ContainerRecord } from './types.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * containers: container records, persisted one file per container and served from memory.
 * Names are unique; lookups accept a full id, a unique id prefix, or a name (with or without "/").
 */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  /** Per-container write chain so concurrent saves of one record land in order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(readonly root: string) {}

  async load(): Promise<ContainerRecord[]> {
    await mkdir(this.root, { recursive: true });
    for (const id of await readdir(this.root)) {
      const record = await readJson<ContainerRecord>(this.configPath(id));
      if (!record) {
        // A directory without a committed config is a create that never finished, or a removal
        // cut short: drop it — never reaching into a rootfs still mounted inside it.
        await unmountBelow(join(this.root, id));
        await rm(join(this.root, id), { recursive: true, force: true });
        continue;
      }
      this.byId.set(record.id, record);
      this.byName.set(record.name, record.id);
    }
    return [...this.byId.values()];
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  private configPath(id: string): string {
    return join(this.root, id, 'config.json');
  }

  static validName(name: string): boolean {
    return NAME_RE.test(name);
  }

  /** Reserve a name for a new container; throws NAME_IN_USE. */
  reserveName(name: string, id: string): void {
    if (!ContainerStore.validName(name)) {
      throw new EngineError(
        'BAD_PARAMETER',
        `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    const holder = this.byName.get(name);
    if (holder && holder !== id) throw new EngineError('NAME_IN_USE', `/${name}`, holder);
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Find by id, unique id prefix, or name; throws NO_SUCH_CONTAINER. */
  get(ref: string): ContainerRecord {
    const found = this.find(ref);
    if (!found) throw new EngineError('NO_SUCH_CONTAINER', ref);
    return found;
  }

  find(ref: string): ContainerRecord | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const named = this.byName.get(name);
    if (named) return this.byId.get(named);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw new EngineError('BAD_PARAMETER', `multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.byId.get(matches[0]) : undefined;
  }

  async add(record: ContainerRecord): Promise<void> {
    this.byId.set(record.id, record);
    this.byName.set(record.name, record.id);
    await this.save(record);
  }

  /** Persist the record's current in-memory state. Saves of one record are serialized. */
  save(record: ContainerRecord): Promise<void> {
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const next = previous.then(
      () => writeJsonAtomic(this.configPath(record.id), record),
      () => writeJsonAtomic(this.configPath(record.id), record),
    );
    this.writes.set(record.id, next);
    void next.finally(() => {
      if (this.writes.get(record.id) === next) this.writes.delete(record.id);
    });
    return next;
  }

  rename(record: ContainerRecord, newName: string): void {
    this.reserveName(newName, record.id);
    this.releaseName(record.name, record.id);
    record.name = newName;
  }

  async remove(id: string): Promise<void> {
    const record = this.byId.get(id);
    if (!record) return;
    await this.writes.get(id)?.catch(() => undefined);
    this.byId.delete(id);
    this.releaseName(record.name, id);
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
