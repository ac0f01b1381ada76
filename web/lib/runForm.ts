// Parsing for the run-a-container form. Each multi-line field takes the `docker run` flag syntax
// one entry per line, so people can paste what they already know; errors name the line.

export type PortSpec = { hostIp?: string; hostPort?: number; containerPort: number; protocol: 'tcp' | 'udp' };
export type VolumeSpec = { source: string; target: string; readOnly: boolean };

export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function lines(text: string): Array<{ n: number; text: string }> {
  return text
    .split('\n')
    .map((t, i) => ({ n: i + 1, text: t.trim() }))
    .filter((l) => l.text && !l.text.startsWith('#'));
}

function port(s: string, field: string, n: number): number {
  const v = Number(s);
  if (!/^\d+$/.test(s) || v < 1 || v > 65535) throw new FieldError(field, `line ${n}: "${s}" is not a port (1–65535)`);
  return v;
}

/** `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, each optionally `/udp`. */
export function parsePorts(text: string): PortSpec[] {
  return lines(text).map(({ n, text: t }) => {
    const [spec, proto = 'tcp'] = t.split('/');
    if (proto !== 'tcp' && proto !== 'udp') throw new FieldError('ports', `line ${n}: protocol must be tcp or udp`);
    const parts = (spec ?? '').split(':');
    if (parts.length === 1) return { containerPort: port(parts[0] ?? '', 'ports', n), protocol: proto };
    if (parts.length === 2)
      return {
        hostPort: port(parts[0] ?? '', 'ports', n),
        containerPort: port(parts[1] ?? '', 'ports', n),
        protocol: proto,
      };
    if (parts.length === 3)
      return {
        hostIp: parts[0] || undefined,
        hostPort: parts[1] ? port(parts[1], 'ports', n) : undefined,
        containerPort: port(parts[2] ?? '', 'ports', n),
        protocol: proto,
      };
    throw new FieldError('ports', `line ${n}: expected [ip:][hostPort:]containerPort[/proto]`);
  });
}

/** `name:/path`, `/host/dir:/path`, optionally `:ro` or `:rw`. */
export function parseVolumes(text: string): VolumeSpec[] {
  return lines(text).map(({ n, text: t }) => {
    const parts = t.split(':');
    const mode = parts.length === 3 ? parts[2] : undefined;
    if (parts.length < 2 || parts.length > 3 || (mode && mode !== 'ro' && mode !== 'rw'))
      throw new FieldError('volumes', `line ${n}: expected source:/container/path[:ro]`);
    const [source = '', target = ''] = parts;
    if (!source) throw new FieldError('volumes', `line ${n}: missing source`);
    if (!target.startsWith('/')) throw new FieldError('volumes', `line ${n}: the container path must be absolute`);
    return { source, target, readOnly: mode === 'ro' };
  });
}

/** `KEY=value` per line; the value may contain `=`. */
export function parseEnv(text: string): string[] {
  return lines(text).map(({ n, text: t }) => {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new FieldError('env', `line ${n}: expected KEY=value`);
    const key = t.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      throw new FieldError('env', `line ${n}: "${key}" is not a variable name`);
    return t;
  });
}

const MEM_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker's memory syntax (`512m`, `1g`, `1048576`) to bytes; empty means no limit. */
export function parseMemory(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!t) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?$/.exec(t);
  if (!m) throw new FieldError('memory', 'use a number with an optional unit: 512m, 1g');
  const bytes = Math.round(Number(m[1]) * (MEM_UNITS[m[2] ?? ''] ?? 1));
  if (bytes < 6 * 1024 * 1024) throw new FieldError('memory', 'the minimum is 6m');
  return bytes;
}

export function parseCpus(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const v = Number(t);
  if (!Number.isFinite(v) || v <= 0 || v > 1024) throw new FieldError('cpus', 'use a positive number such as 0.5 or 2');
  return v;
}
