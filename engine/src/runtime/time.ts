/** RFC 3339 timestamps with nanoseconds (Go's RFC3339Nano), which JS Date cannot hold. */

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Unix time in nanoseconds, or undefined for anything that is not RFC 3339. */
export function parseRfc3339Nano(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + frac;
}

/** Format unix nanoseconds in UTC with all nine digits, as docker prints them. */
export function formatRfc3339Nano(unixNs: bigint): string {
  const sec = unixNs / 1_000_000_000n;
  const nsec = unixNs % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}.${nsec.toString().padStart(9, '0')}Z`;
}

/** Docker's since/until are fractional unix seconds. */
export function secondsToNs(seconds: number): bigint {
  const whole = Math.floor(seconds);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((seconds - whole) * 1e9));
}

export function nowRfc3339Nano(): string {
  return formatRfc3339Nano(BigInt(Date.now()) * 1_000_000n);
}
