import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Raw readers for cgroup v1 and v2 files and /proc, returning numbers in Docker's units
 * (nanoseconds for CPU). Every reader tolerates a missing file (controller not mounted,
 * container gone) by returning undefined, so stats degrade instead of failing.
 */

/** USER_HZ: cpuacct.stat and /proc/stat count in these ticks; 100 on every Linux ABI Docker supports. */
export const CLOCK_TICKS = 100;

/**
 * Read synchronously: cgroup and /proc files are a page the kernel writes on read, and a
 * `docker stats` over 20 containers reads ~600 of them; through the libuv thread pool (4
 * threads, shared with all other I/O) the round trips cost several times the reads themselves.
 */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readUint(path: string): Promise<number | undefined> {
  const t = (await readText(path))?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export async function readKeyValues(path: string): Promise<Record<string, number> | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** v1 blkio files: `8:0 Read 4096` lines (the `Total` line is dropped, as libcontainer does). */
export async function readBlkioV1(path: string): Promise<BlkioEntry[] | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 …` → bytes and ops with Docker's lowercase ops. */
export async function readIoStatV2(path: string): Promise<{ bytes: BlkioEntry[]; ios: BlkioEntry[] } | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(fields.map((f) => f.split('=')).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    bytes.push(
      { major, minor, op: 'read', value: kv.rbytes ?? 0 },
      { major, minor, op: 'write', value: kv.wbytes ?? 0 },
    );
    ios.push({ major, minor, op: 'read', value: kv.rios ?? 0 }, { major, minor, op: 'write', value: kv.wios ?? 0 });
  }
  return { bytes, ios };
}

/** Host CPU time in ns from /proc/stat's first line (user … softirq, as Docker sums). */
export async function systemCpuUsage(procRoot = '/proc'): Promise<number> {
  const line = (await readText(join(procRoot, 'stat')))?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, v) => a + Number(v), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

export interface NetDevCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Interface counters of the process's network namespace (/proc/<pid>/net/dev), loopback left out. */
export async function readNetDev(pid: number, procRoot = '/proc'): Promise<Record<string, NetDevCounters> | undefined> {
  const text = await readText(join(procRoot, String(pid), 'net', 'dev'));
  if (text === undefined) return undefined;
  const out: Record<string, NetDevCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

/** MemTotal in bytes (Docker reports it as the limit of a container without one). */
export async function hostMemory(procRoot = '/proc'): Promise<number> {
  const m = /MemTotal:\s+(\d+) kB/.exec((await readText(join(procRoot, 'meminfo'))) ?? '');
  return m ? Number(m[1]) * 1024 : 0;
}
