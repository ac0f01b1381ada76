// Audit filters live in the URL (shareable, and the export links reuse them verbatim).
export type AuditFilter = { actor: string; action: string; hostId: string; target: string; from: string; to: string };
export const EMPTY_AUDIT_FILTER: AuditFilter = { actor: '', action: '', hostId: '', target: '', from: '', to: '' };

export function filterFromParams(params: URLSearchParams): AuditFilter {
  const f = { ...EMPTY_AUDIT_FILTER };
  for (const k of Object.keys(f) as Array<keyof AuditFilter>) f[k] = params.get(k) ?? '';
  return f;
}

export function filterToParams(f: AuditFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  return p;
}

/** `from`/`to` come from <input type="datetime-local"> (local time); the API wants ISO instants. */
export function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function filterToInput(f: AuditFilter) {
  return {
    actor: f.actor.trim() || undefined,
    action: f.action.trim() || undefined,
    hostId: f.hostId || undefined,
    target: f.target.trim() || undefined,
    from: localToIso(f.from),
    to: localToIso(f.to),
  };
}

export function exportHref(format: 'jsonl' | 'csv', f: AuditFilter): string {
  const p = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(filterToInput(f))) if (v) p.set(k, v);
  return `/api/audit/export?${p.toString()}`;
}

/** The shell session an audit event refers to (shells.open records it in params), if any. */
export function sessionOf(params: string | null | undefined): string | null {
  if (!params) return null;
  try {
    const p = JSON.parse(params) as { sessionId?: unknown };
    return typeof p.sessionId === 'string' ? p.sessionId : null;
  } catch {
    return null;
  }
}
