import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import type { NetworkInspect, NetworkRecord } from './types.js';

/** Docker's three built-in networks; they cannot be created or removed by users. */
export const PREDEFINED = new Set(['bridge', 'host', 'none']);

const FILTER_KEYS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

/** Network records, one JSON file each under `<root>/network/networks/`. */
export class NetworkStore {
  private readonly records = new Map<string, NetworkRecord>();

  constructor(private readonly dir: string) {}

  async load(): Promise<void> {
    let files: string[] = [];
    try {
      files = await readdir(this.dir);
    } catch {
      return;
    }
    for (const f of files) {
      if (!f.endsWith('.json')) continue;
      const rec = await readJson<NetworkRecord>(join(this.dir, f));
      if (rec) this.records.set(rec.Id, rec);
    }
  }

  all(): NetworkRecord[] {
    return [...this.records.values()];
  }

  byName(name: string): NetworkRecord | undefined {
    return this.all().find((n) => n.Name === name);
  }

  /** moby's FindNetwork: full ID, then exact name, then a unique ID prefix. */
  tryFind(idOrName: string): NetworkRecord | undefined {
    const exact = this.records.get(idOrName) ?? this.byName(idOrName);
    if (exact) return exact;
    const prefixed = this.all().filter((n) => n.Id.startsWith(idOrName));
    if (prefixed.length > 1) {
      throw new EngineError(
        'BAD_PARAMETER',
        `network ${idOrName} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
      );
    }
    return prefixed[0];
  }

  find(idOrName: string): NetworkRecord {
    const n = idOrName ? this.tryFind(idOrName) : undefined;
    if (!n) throw new EngineError('NO_SUCH_NETWORK', idOrName);
    return n;
  }

  async save(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${rec.Id}.json`), rec);
    this.records.set(rec.Id, rec);
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
    await rm(join(this.dir, `${id}.json`), { force: true });
  }
}

export function checkFilters(filters: Record<string, string[]>): void {
  for (const key of Object.keys(filters))
    if (!FILTER_KEYS.has(key)) throw new EngineError('BAD_PARAMETER', `Invalid filter '${key}'`);
  for (const t of filters.type ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw new EngineError('BAD_PARAMETER', `invalid filter: 'type'='${t}'`);
  }
}

function textMatch(filter: string, value: string): boolean {
  try {
    return new RegExp(filter).test(value);
  } catch {
    return value.includes(filter);
  }
}

function labelMatch(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? Object.hasOwn(labels, filter) : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** `docker network ls` filters; `inUse` says whether a network has endpoints (for dangling). */
export function matchesFilters(rec: NetworkRecord, filters: Record<string, string[]>, inUse: boolean): boolean {
  const any = (key: string, pred: (v: string) => boolean) => !filters[key]?.length || filters[key].some(pred);
  return (
    any('driver', (d) => d === rec.Driver) &&
    any('id', (v) => rec.Id.startsWith(v) || textMatch(v, rec.Id)) &&
    any('name', (v) => textMatch(v, rec.Name)) &&
    any('scope', (v) => v === rec.Scope) &&
    any('type', (t) => (t === 'builtin') === PREDEFINED.has(rec.Name)) &&
    (filters.label ?? []).every((l) => labelMatch(l, rec.Labels)) &&
    any('dangling', (v) =>
      ['true', '1'].includes(v) ? !inUse && !PREDEFINED.has(rec.Name) : inUse || PREDEFINED.has(rec.Name),
    )
  );
}

export function toInspect(rec: NetworkRecord, containers: NetworkInspect['Containers']): NetworkInspect {
  return {
    Name: rec.Name,
    Id: rec.Id,
    Created: rec.Created,
    Scope: rec.Scope,
    Driver: rec.Driver,
    EnableIPv6: rec.EnableIPv6,
    IPAM: rec.IPAM,
    Internal: rec.Internal,
    Attachable: rec.Attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: rec.Options,
    Labels: rec.Labels,
  };
}
