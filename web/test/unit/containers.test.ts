import { describe, expect, it } from 'vitest';
import {
  type ContainerRow,
  distinct,
  EMPTY_FILTER,
  filterContainers,
  flattenHosts,
  formatPorts,
  labelMatcher,
  sortContainers,
  toggleSort,
} from '@/lib/containers';

function row(p: Partial<ContainerRow> & { id: string }): ContainerRow {
  return {
    key: `${p.hostId ?? 'h1'}/${p.id}`,
    hostId: 'h1',
    hostName: 'alpha',
    name: p.id,
    image: 'busybox:latest',
    state: 'running',
    status: 'Up 1 minute',
    created: 100,
    labels: {},
    ports: [],
    ...p,
  };
}

const rows = [
  row({
    id: 'aaa111',
    name: 'web-10',
    hostId: 'h1',
    hostName: 'alpha',
    created: 30,
    labels: { app: 'web', tier: 'front' },
  }),
  row({
    id: 'bbb222',
    name: 'web-2',
    hostId: 'h2',
    hostName: 'beta',
    state: 'exited',
    created: 10,
    labels: { app: 'web' },
  }),
  row({ id: 'ccc333', name: 'db', hostId: 'h2', hostName: 'beta', image: 'postgres:16', state: 'paused', created: 20 }),
];

describe('filterContainers', () => {
  it('returns everything for the empty filter', () => {
    expect(filterContainers(rows, EMPTY_FILTER)).toHaveLength(3);
  });
  it('matches text against name, id prefix, image and host', () => {
    expect(filterContainers(rows, { ...EMPTY_FILTER, text: 'WEB' }).map((r) => r.id)).toEqual(['aaa111', 'bbb222']);
    expect(filterContainers(rows, { ...EMPTY_FILTER, text: 'ccc' }).map((r) => r.id)).toEqual(['ccc333']);
    expect(filterContainers(rows, { ...EMPTY_FILTER, text: 'postgres' }).map((r) => r.id)).toEqual(['ccc333']);
    expect(filterContainers(rows, { ...EMPTY_FILTER, text: 'alpha' }).map((r) => r.id)).toEqual(['aaa111']);
    // An id matches by prefix only: a substring in the middle is not an id search.
    expect(filterContainers(rows, { ...EMPTY_FILTER, text: '111' })).toHaveLength(0);
  });
  it('combines host, state, image and label filters with AND', () => {
    expect(filterContainers(rows, { ...EMPTY_FILTER, hostIds: ['h2'] }).map((r) => r.id)).toEqual(['bbb222', 'ccc333']);
    expect(filterContainers(rows, { ...EMPTY_FILTER, hostIds: ['h2'], states: ['paused'] }).map((r) => r.id)).toEqual([
      'ccc333',
    ]);
    expect(filterContainers(rows, { ...EMPTY_FILTER, image: 'busybox' })).toHaveLength(2);
    expect(filterContainers(rows, { ...EMPTY_FILTER, label: 'app=web', states: ['running'] }).map((r) => r.id)).toEqual(
      ['aaa111'],
    );
  });
});

describe('labelMatcher', () => {
  it('distinguishes key presence from key=value', () => {
    expect(labelMatcher('')).toBeNull();
    expect(labelMatcher('tier')?.({ tier: 'x' })).toBe(true);
    expect(labelMatcher('tier')?.({ app: 'x' })).toBe(false);
    expect(labelMatcher('tier=front')?.({ tier: 'front' })).toBe(true);
    expect(labelMatcher('tier=front')?.({ tier: 'back' })).toBe(false);
    expect(labelMatcher('tier=')?.({ tier: '' })).toBe(true);
  });
});

describe('sortContainers', () => {
  it('sorts names naturally (web-2 before web-10)', () => {
    expect(sortContainers(rows, { key: 'name', dir: 'asc' }).map((r) => r.name)).toEqual(['db', 'web-2', 'web-10']);
  });
  it('sorts by created descending', () => {
    expect(sortContainers(rows, { key: 'created', dir: 'desc' }).map((r) => r.id)).toEqual([
      'aaa111',
      'ccc333',
      'bbb222',
    ]);
  });
  it('does not mutate its input', () => {
    const copy = [...rows];
    sortContainers(rows, { key: 'host', dir: 'desc' });
    expect(rows).toEqual(copy);
  });
  it('toggles direction on the same key and picks a sensible default on a new one', () => {
    expect(toggleSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' });
    expect(toggleSort({ key: 'name', dir: 'asc' }, 'created')).toEqual({ key: 'created', dir: 'desc' });
  });
});

describe('helpers', () => {
  it('lists distinct values in natural order', () => {
    expect(distinct(rows, (r) => r.state)).toEqual(['exited', 'paused', 'running']);
  });
  it('formats and de-duplicates ports (IPv4 and IPv6 bindings repeat)', () => {
    expect(
      formatPorts([
        { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '0.0.0.0' },
        { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '::' },
        { privatePort: 53, publicPort: null, type: 'udp', ip: null },
      ]),
    ).toEqual(['8080→80/tcp', '53/udp']);
  });
});

describe('flattenHosts', () => {
  it('keeps a failed host as a failure instead of an empty list', () => {
    const port = { privatePort: 80, publicPort: 8080, type: 'tcp', ip: null };
    const { rows, failures } = flattenHosts([
      {
        hostId: 'h1',
        hostName: 'alpha',
        ok: true,
        error: null,
        containers: [
          {
            id: 'abcdef0123456789',
            name: 'web',
            image: 'busybox',
            state: 'running',
            status: 'Up 2 minutes',
            created: 1700000000,
            labels: { app: 'web' },
            ports: [port],
          },
          {
            id: '0123456789abcdef',
            name: '',
            image: 'busybox',
            state: 'created',
            status: 'Created',
            created: 1700000001,
            labels: {},
            ports: [],
          },
        ],
      },
      { hostId: 'h2', hostName: 'beta', ok: false, error: 'host beta is unreachable: ECONNREFUSED', containers: [] },
    ]);
    expect(rows.map((r) => [r.key, r.name, r.state])).toEqual([
      ['h1/abcdef0123456789', 'web', 'running'],
      ['h1/0123456789abcdef', '0123456789ab', 'created'],
    ]);
    expect(rows[0]?.ports).toEqual([port]);
    expect(failures).toEqual([{ hostId: 'h2', hostName: 'beta', error: 'host beta is unreachable: ECONNREFUSED' }]);
  });
});

describe('flattenHosts row identity', () => {
  it('returns the same row object for an unchanged summary, so memoised rows skip re-rendering', () => {
    const c = {
      id: 'a1',
      name: 'web',
      image: 'busybox',
      state: 'running',
      status: 'Up',
      created: 1,
      labels: {},
      ports: [],
    };
    const host = { hostId: 'h1', hostName: 'alpha', ok: true, error: null, containers: [c] };
    const first = flattenHosts([host]).rows[0];
    expect(flattenHosts([{ ...host, containers: [c] }]).rows[0]).toBe(first);
    // A renamed host must not reuse rows that carry the old name.
    expect(flattenHosts([{ ...host, hostName: 'beta', containers: [c] }]).rows[0]?.hostName).toBe('beta');
  });
});
