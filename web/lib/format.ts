// Small display formatters shared by tables and charts.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number | null | undefined, digits = 1): string {
  if (n == null || !Number.isFinite(n)) return '—';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : digits);
  return `${n < 0 ? '-' : ''}${s} ${UNITS[i]}`;
}

export function formatPercent(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  return `${n.toFixed(n >= 10 ? 0 : 1)}%`;
}

/** Accepts seconds since epoch (Docker's `Created`), milliseconds, an ISO string or a Date. */
export function toDate(t: number | string | Date | null | undefined): Date | null {
  if (t == null || t === '') return null;
  if (t instanceof Date) return t;
  if (typeof t === 'number') return new Date(t < 1e12 ? t * 1000 : t);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatAgo(t: number | string | Date | null | undefined, now = Date.now()): string {
  const d = toDate(t);
  if (!d) return '—';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 0) return 'just now';
  if (s < 45) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h ago`;
  const days = Math.round(h / 24);
  if (days < 60) return `${days}d ago`;
  return d.toISOString().slice(0, 10);
}

export function formatDateTime(t: number | string | Date | null | undefined): string {
  const d = toDate(t);
  if (!d) return '—';
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Docker ids are 64 hex chars; the CLI shows 12. Image ids carry a `sha256:` prefix. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '';
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** `/my-app` → `my-app`: the engine API prefixes container names with a slash. */
export function containerName(names: readonly string[] | string | undefined): string {
  const first = Array.isArray(names) ? names[0] : names;
  return (first ?? '').replace(/^\//, '');
}
