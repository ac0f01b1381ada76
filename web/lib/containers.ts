// Pure logic behind the all-hosts container table: flatten per-host results, filter, sort.
// Kept free of React so it is unit-tested and benchmarked directly (bench/web-containers.ts).

export type PortRow = { privatePort: number; publicPort: number | null; type: string; ip: string | null };

export type ContainerRow = {
  key: string; // hostId/id — unique across hosts
  hostId: string;
  hostName: string;
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: number; // seconds since epoch
  labels: Record<string, string>;
  ports: PortRow[];
};

export type HostFailure = { hostId: string; hostName: string; error: string };

export type ContainerFilter = {
  text: string;
  hostIds: string[]; // empty = all
  states: string[]; // empty = all
  image: string;
  label: string; // "key" or "key=value"
};

export type SortKey = 'name' | 'host' | 'image' | 'state' | 'created';
export type Sort = { key: SortKey; dir: 'asc' | 'desc' };

export const EMPTY_FILTER: ContainerFilter = { text: '', hostIds: [], states: [], image: '', label: '' };

/** Parses "key", "key=value" or "key=" into a label predicate. */
export function labelMatcher(expr: string): ((labels: Record<string, string>) => boolean) | null {
  const t = expr.trim();
  if (!t) return null;
  const eq = t.indexOf('=');
  if (eq < 0) return (labels) => Object.hasOwn(labels, t);
  const k = t.slice(0, eq).trim();
  const v = t.slice(eq + 1).trim();
  return (labels) => Object.hasOwn(labels, k) && labels[k] === v;
}

export function filterContainers(rows: readonly ContainerRow[], f: ContainerFilter): ContainerRow[] {
  const text = f.text.trim().toLowerCase();
  const image = f.image.trim().toLowerCase();
  const hosts = f.hostIds.length ? new Set(f.hostIds) : null;
  const states = f.states.length ? new Set(f.states) : null;
  const label = labelMatcher(f.label);
  return rows.filter(
    (r) =>
      (!hosts || hosts.has(r.hostId)) &&
      (!states || states.has(r.state)) &&
      (!image || r.image.toLowerCase().includes(image)) &&
      (!label || label(r.labels)) &&
      (!text ||
        r.name.toLowerCase().includes(text) ||
        r.id.startsWith(text) ||
        r.image.toLowerCase().includes(text) ||
        r.hostName.toLowerCase().includes(text)),
  );
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: ContainerRow, b: ContainerRow, key: SortKey): number {
  switch (key) {
    case 'name':
      return collator.compare(a.name, b.name);
    case 'host':
      return collator.compare(a.hostName, b.hostName) || collator.compare(a.name, b.name);
    case 'image':
      return collator.compare(a.image, b.image) || collator.compare(a.name, b.name);
    case 'state':
      return collator.compare(a.state, b.state) || collator.compare(a.name, b.name);
    case 'created':
      return a.created - b.created;
  }
}

export function sortContainers(rows: readonly ContainerRow[], sort: Sort): ContainerRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => sign * compare(a, b, sort.key));
}

export function toggleSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'created' ? 'desc' : 'asc' };
}

/** Distinct values for filter menus, sorted. */
export function distinct(rows: readonly ContainerRow[], pick: (r: ContainerRow) => string): string[] {
  return [...new Set(rows.map(pick))].sort(collator.compare);
}

export function formatPorts(ports: readonly PortRow[]): string[] {
  const seen = new Set<string>();
  for (const p of ports) {
    const s = p.publicPort ? `${p.publicPort}→${p.privatePort}/${p.type}` : `${p.privatePort}/${p.type}`;
    seen.add(s);
  }
  return [...seen];
}

/** A container as containers.list returns it (the gateway's ContainerSummary, camelCase). */
export type ContainerSummary = {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: number;
  labels: Record<string, string>;
  ports: PortRow[];
};

export type HostContainers = {
  hostId: string;
  hostName: string;
  ok: boolean;
  error: string | null;
  containers: ContainerSummary[];
};

// Rows are cached per summary object. TanStack Query keeps unchanged objects identical across
// refetches (structural sharing), so an unchanged container keeps its row object and its
// memoised table row is not re-rendered on every 5-second poll.
const rowCache = new WeakMap<ContainerSummary, ContainerRow>();

/** Flattens the per-host answer of containers.list; failed hosts are reported, never dropped. */
export function flattenHosts(hosts: readonly HostContainers[]): { rows: ContainerRow[]; failures: HostFailure[] } {
  const rows: ContainerRow[] = [];
  const failures: HostFailure[] = [];
  for (const h of hosts) {
    if (!h.ok) {
      failures.push({ hostId: h.hostId, hostName: h.hostName, error: h.error ?? 'unreachable' });
      continue;
    }
    for (const c of h.containers) {
      const cached = rowCache.get(c);
      if (cached && cached.hostId === h.hostId && cached.hostName === h.hostName) {
        rows.push(cached);
        continue;
      }
      const row: ContainerRow = {
        key: `${h.hostId}/${c.id}`,
        hostId: h.hostId,
        hostName: h.hostName,
        id: c.id,
        name: c.name || c.id.slice(0, 12),
        image: c.image,
        state: c.state,
        status: c.status,
        created: c.created,
        labels: c.labels,
        ports: c.ports,
      };
      rowCache.set(c, row);
      rows.push(row);
    }
  }
  return { rows, failures };
}
