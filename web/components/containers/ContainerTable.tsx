'use client';
import Link from 'next/link';
import { memo } from 'react';
import { type ContainerRow, formatPorts, type HostFailure, type Sort, type SortKey } from '@/lib/containers';
import { formatAgo, shortId } from '@/lib/format';
import { containerHref } from '@/lib/nav';
import { ContainerStateBadge } from '../StatusBadge';

const COLUMNS: Array<{ key: SortKey | null; label: string; className?: string }> = [
  { key: 'name', label: 'Name' },
  { key: 'host', label: 'Host' },
  { key: 'image', label: 'Image' },
  { key: 'state', label: 'State' },
  { key: null, label: 'Status' },
  { key: null, label: 'Ports' },
  { key: null, label: 'Labels' },
  { key: 'created', label: 'Created' },
];
export const CONTAINER_TABLE_COLS = COLUMNS.length + 1;

function SortHeader({
  col,
  sort,
  onSort,
}: {
  col: (typeof COLUMNS)[number];
  sort: Sort;
  onSort: (k: SortKey) => void;
}) {
  if (!col.key) return <th>{col.label}</th>;
  const active = sort.key === col.key;
  const key = col.key;
  return (
    <th aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(key)}>
        {col.label} {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
      </button>
    </th>
  );
}

function Labels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (!entries.length) return <span className="faint">—</span>;
  const title = entries.map(([k, v]) => `${k}=${v}`).join('\n');
  return (
    <span title={title}>
      {entries.slice(0, 2).map(([k, v]) => (
        <span key={k} className="chip">
          {k}={v}
        </span>
      ))}
      {entries.length > 2 ? <span className="faint">+{entries.length - 2}</span> : null}
    </span>
  );
}

// Memoised: with 1,000 rows, a selection change must re-render one row, not all of them.
const Row = memo(function Row({
  row,
  selected,
  onToggle,
}: {
  row: ContainerRow;
  selected: boolean;
  onToggle: (key: string) => void;
}) {
  const ports = formatPorts(row.ports);
  return (
    <tr data-selected={selected} data-testid="container-row" data-name={row.name} data-state={row.state}>
      <td className="check-cell">
        <input
          type="checkbox"
          aria-label={`Select ${row.name}`}
          checked={selected}
          onChange={() => onToggle(row.key)}
        />
      </td>
      <td className="truncate" style={{ maxWidth: 240 }}>
        <Link href={containerHref(row.hostId, row.id)}>{row.name}</Link>{' '}
        <span className="mono faint">{shortId(row.id)}</span>
      </td>
      <td className="truncate">{row.hostName}</td>
      <td className="truncate mono" style={{ maxWidth: 220 }} title={row.image}>
        {row.image}
      </td>
      <td>
        <ContainerStateBadge state={row.state} />
      </td>
      <td className="truncate muted">{row.status}</td>
      <td className="mono nowrap">{ports.length ? ports.join(', ') : <span className="faint">—</span>}</td>
      <td className="truncate" style={{ maxWidth: 260 }}>
        <Labels labels={row.labels} />
      </td>
      <td className="nowrap muted">{formatAgo(row.created)}</td>
    </tr>
  );
});

export function FailedHostRows({ failures }: { failures: HostFailure[] }) {
  return (
    <>
      {failures.map((f) => (
        <tr key={f.hostId} className="failed-row" data-testid="failed-host">
          <td className="check-cell" />
          <td colSpan={CONTAINER_TABLE_COLS - 1}>
            <strong>{f.hostName}</strong> failed — containers unknown: {f.error}
          </td>
        </tr>
      ))}
    </>
  );
}

export function ContainerTableHead({
  sort,
  onSort,
  allSelected,
  someSelected,
  onSelectAll,
}: {
  sort: Sort;
  onSort: (k: SortKey) => void;
  allSelected: boolean;
  someSelected: boolean;
  onSelectAll: (on: boolean) => void;
}) {
  return (
    <thead>
      <tr>
        <th className="check-cell">
          <input
            type="checkbox"
            aria-label="Select all shown"
            checked={allSelected}
            ref={(el) => {
              if (el) el.indeterminate = someSelected && !allSelected;
            }}
            onChange={(e) => onSelectAll(e.target.checked)}
          />
        </th>
        {COLUMNS.map((c) => (
          <SortHeader key={c.label} col={c} sort={sort} onSort={onSort} />
        ))}
      </tr>
    </thead>
  );
}

export function ContainerRows({
  rows,
  selected,
  onToggle,
}: {
  rows: readonly ContainerRow[];
  selected: ReadonlySet<string>;
  onToggle: (key: string) => void;
}) {
  return (
    <>
      {rows.map((r) => (
        <Row key={r.key} row={r} selected={selected.has(r.key)} onToggle={onToggle} />
      ))}
    </>
  );
}
