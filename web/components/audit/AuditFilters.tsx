'use client';
import { useState } from 'react';
import { type AuditFilter, EMPTY_AUDIT_FILTER } from '@/lib/audit';

export function AuditFilters({
  value,
  hosts,
  onApply,
}: {
  value: AuditFilter;
  hosts: Array<{ id: string; name: string }>;
  onApply: (f: AuditFilter) => void;
}) {
  const [draft, setDraft] = useState(value);
  const set = (patch: Partial<AuditFilter>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <form
      className="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <input
        className="input"
        style={{ width: 120 }}
        placeholder="Actor"
        aria-label="Actor"
        value={draft.actor}
        onChange={(e) => set({ actor: e.target.value })}
      />
      <input
        className="input mono"
        style={{ width: 160 }}
        placeholder="Action: shells.open"
        aria-label="Action"
        value={draft.action}
        onChange={(e) => set({ action: e.target.value })}
      />
      <select
        className="select"
        aria-label="Host"
        value={draft.hostId}
        onChange={(e) => set({ hostId: e.target.value })}
      >
        <option value="">All hosts</option>
        {hosts.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
      <input
        className="input mono"
        style={{ width: 130 }}
        placeholder="Target"
        aria-label="Target"
        value={draft.target}
        onChange={(e) => set({ target: e.target.value })}
      />
      <label className="row muted">
        From
        <input
          className="input"
          type="datetime-local"
          value={draft.from}
          onChange={(e) => set({ from: e.target.value })}
        />
      </label>
      <label className="row muted">
        To
        <input
          className="input"
          style={{ width: 200 }}
          type="datetime-local"
          value={draft.to}
          onChange={(e) => set({ to: e.target.value })}
        />
      </label>
      <button type="submit" className="btn primary">
        Apply
      </button>
      <button
        type="button"
        className="btn ghost"
        onClick={() => {
          setDraft(EMPTY_AUDIT_FILTER);
          onApply(EMPTY_AUDIT_FILTER);
        }}
      >
        Reset
      </button>
    </form>
  );
}
