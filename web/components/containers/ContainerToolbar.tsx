'use client';
import Link from 'next/link';
import type { ContainerFilter } from '@/lib/containers';
import { Icon } from '../Icon';

const STATES = ['running', 'paused', 'restarting', 'created', 'exited', 'dead'];

export function ContainerToolbar({
  filter,
  onChange,
  hosts,
  images,
  onRefresh,
  refreshing,
}: {
  filter: ContainerFilter;
  onChange: (f: ContainerFilter) => void;
  hosts: Array<{ id: string; name: string }>;
  images: string[];
  onRefresh: () => void;
  refreshing: boolean;
}) {
  const set = (patch: Partial<ContainerFilter>) => onChange({ ...filter, ...patch });
  return (
    <div className="toolbar">
      <input
        className="input search"
        type="search"
        placeholder="Search name, id, image, host"
        aria-label="Search containers"
        value={filter.text}
        onChange={(e) => set({ text: e.target.value })}
      />
      <select
        className="select"
        aria-label="Host"
        value={filter.hostIds[0] ?? ''}
        onChange={(e) => set({ hostIds: e.target.value ? [e.target.value] : [] })}
      >
        <option value="">All hosts</option>
        {hosts.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
      <select
        className="select"
        aria-label="State"
        value={filter.states[0] ?? ''}
        onChange={(e) => set({ states: e.target.value ? [e.target.value] : [] })}
      >
        <option value="">All states</option>
        {STATES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <input
        className="input"
        list="container-images"
        placeholder="Image"
        aria-label="Image"
        style={{ width: 160 }}
        value={filter.image}
        onChange={(e) => set({ image: e.target.value })}
      />
      <datalist id="container-images">
        {images.map((i) => (
          <option key={i} value={i} />
        ))}
      </datalist>
      <input
        className="input mono"
        placeholder="label or label=value"
        aria-label="Label"
        style={{ width: 170 }}
        value={filter.label}
        onChange={(e) => set({ label: e.target.value })}
      />
      <span className="spacer" />
      <button type="button" className="btn icon" title="Refresh" aria-label="Refresh" onClick={onRefresh}>
        {refreshing ? <span className="spinner" /> : <Icon name="refresh" />}
      </button>
      <Link href="/containers/new" className="btn primary">
        <Icon name="plus" /> Run container
      </Link>
    </div>
  );
}
