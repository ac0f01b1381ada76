import { access, lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import type { HostConfig } from '../types/docker.js';
import { CAPABILITIES_BY_NUMBER, DEFAULT_CAPABILITIES, DEFAULT_DEVICE_RULES } from './spec-defaults.js';
import type { OciDeviceCgroup, OciLinuxDevice, OciProcess, OciResources } from './spec-types.js';

/** The Linux-specific parts of a container's spec: capabilities, devices, resources, rlimits. */

/** Capabilities the running kernel knows (moby caps.GetAllCapabilities). */
export async function allCapabilities(): Promise<string[]> {
  let last = CAPABILITIES_BY_NUMBER.length - 1;
  try {
    last = Math.min(last, Number.parseInt(await readFile('/proc/sys/kernel/cap_last_cap', 'utf8'), 10));
  } catch {
    // Older kernels: assume all we know.
  }
  return CAPABILITIES_BY_NUMBER.slice(0, last + 1);
}

function normalizeCap(cap: string, known: string[]): string {
  const upper = cap.toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.includes(name)) throw new EngineError('BAD_PARAMETER', `unknown capability: "${cap}"`);
  return name;
}

/** moby caps.TweakCapabilities: privileged gets all; "ALL" in add or drop; otherwise drop, then add. */
export async function capabilities(hc: HostConfig): Promise<string[]> {
  const all = await allCapabilities();
  if (hc.Privileged) return all;
  const adds = (hc.CapAdd ?? []).map((c) => normalizeCap(c, all));
  const drops = (hc.CapDrop ?? []).map((c) => normalizeCap(c, all));
  if (adds.length === 0 && drops.length === 0) return [...DEFAULT_CAPABILITIES];
  if (adds.includes('ALL')) return all.filter((c) => !drops.includes(c));
  if (drops.includes('ALL')) return [...new Set(adds)];
  const caps = DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c));
  for (const c of adds) if (!caps.includes(c)) caps.push(c);
  return caps;
}

/** Linux packs dev_t as in glibc's gnu_dev_major/minor. */
function majorMinor(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** One host device node as it should appear in the container (`--device`). */
export async function hostDevice(
  pathOnHost: string,
  pathInContainer = pathOnHost,
): Promise<OciLinuxDevice | undefined> {
  const st = await lstat(pathOnHost, { bigint: true });
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const { major, minor } = majorMinor(st.rdev);
  return {
    path: pathInContainer,
    type,
    major,
    minor,
    fileMode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

const SKIP_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node under /dev, for privileged containers (moby devices.HostDevices). */
export async function hostDevices(dir = '/dev'): Promise<OciLinuxDevice[]> {
  const out: OciLinuxDevice[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DEV_DIRS.has(e.name)) out.push(...(await hostDevices(path)));
    } else if ((e.isCharacterDevice() || e.isBlockDevice()) && e.name !== 'console') {
      const dev = await hostDevice(path).catch(() => undefined);
      if (dev) out.push(dev);
    }
  }
  return out;
}

/** HostConfig.Devices (`--device /dev/x:/dev/y:rwm`): the nodes and their cgroup permissions. */
export async function userDevices(hc: HostConfig): Promise<{ devices: OciLinuxDevice[]; rules: OciDeviceCgroup[] }> {
  const devices: OciLinuxDevice[] = [];
  const rules: OciDeviceCgroup[] = [];
  for (const d of hc.Devices ?? []) {
    const dev = await hostDevice(d.PathOnHost, d.PathInContainer || d.PathOnHost).catch(() => undefined);
    if (!dev)
      throw new EngineError(
        'BAD_PARAMETER',
        `error gathering device information while adding custom device "${d.PathOnHost}": not a device node`,
      );
    devices.push(dev);
    const type = dev.type === 'b' ? 'b' : 'c';
    rules.push({ allow: true, type, major: dev.major, minor: dev.minor, access: d.CgroupPermissions || 'rwm' });
  }
  return { devices, rules };
}

/** linux.resources from the HostConfig limits (the field mapping dockerd uses). */
export async function resources(hc: HostConfig, extraRules: OciDeviceCgroup[]): Promise<OciResources> {
  const r: OciResources = {
    devices: hc.Privileged ? [{ allow: true, access: 'rwm' }] : [...DEFAULT_DEVICE_RULES, ...extraRules],
  };
  const memory: NonNullable<OciResources['memory']> = {};
  if (hc.Memory && hc.Memory > 0) memory.limit = hc.Memory;
  if (hc.MemoryReservation && hc.MemoryReservation > 0) memory.reservation = hc.MemoryReservation;
  if (hc.OomKillDisable) memory.disableOOMKiller = true;
  // Swap can only be limited where the kernel accounts for it (cgroup v1 needs memsw files).
  if (memory.limit !== undefined && (await swapAccounting())) {
    if (hc.MemorySwap === -1) memory.swap = -1;
    else if (hc.MemorySwap && hc.MemorySwap > 0) memory.swap = hc.MemorySwap;
    else memory.swap = memory.limit * 2; // docker's default: as much swap as memory
  }
  if (Object.keys(memory).length > 0) r.memory = memory;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (hc.NanoCpus) {
    cpu.period = 100_000;
    cpu.quota = Math.round((hc.NanoCpus * cpu.period) / 1e9);
  } else {
    if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
    if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  }
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  return r;
}

async function swapAccounting(): Promise<boolean> {
  if (await isCgroupV2()) return true;
  try {
    await access('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
    return true;
  } catch {
    return false;
  }
}

export async function isCgroupV2(): Promise<boolean> {
  try {
    await access('/sys/fs/cgroup/cgroup.controllers');
    return true;
  } catch {
    return false;
  }
}

/** The hard limits of berthd itself (the runtime cannot grant more without CAP_SYS_RESOURCE games). */
async function hostHardLimits(): Promise<Map<string, number>> {
  const names: Record<string, string> = {
    'Max open files': 'nofile',
    'Max processes': 'nproc',
    'Max core file size': 'core',
    'Max locked memory': 'memlock',
    'Max stack size': 'stack',
    'Max file size': 'fsize',
    'Max cpu time': 'cpu',
    'Max data size': 'data',
    'Max address space': 'as',
    'Max msgqueue size': 'msgqueue',
    'Max nice priority': 'nice',
    'Max realtime priority': 'rtprio',
    'Max pending signals': 'sigpending',
  };
  const out = new Map<string, number>();
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    for (const [label, name] of Object.entries(names)) {
      if (!line.startsWith(label)) continue;
      const hard = line.slice(label.length).trim().split(/\s+/)[1];
      if (hard && hard !== 'unlimited') out.set(name, Number(hard));
    }
  }
  return out;
}

/**
 * `--ulimit` entries. None are added by default (the process inherits berthd's), and none may ask
 * for more than berthd's own hard limit: raising it is refused on hosts like ours, so say so here
 * instead of letting runc fail with EPERM.
 */
export async function rlimits(hc: HostConfig): Promise<NonNullable<OciProcess['rlimits']>> {
  if (!hc.Ulimits?.length) return [];
  const hard = await hostHardLimits();
  return hc.Ulimits.map((u) => {
    const name = u.Name.toLowerCase();
    const max = hard.get(name);
    if (u.Soft > u.Hard)
      throw new EngineError(
        'BAD_PARAMETER',
        `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`,
      );
    if (max !== undefined && u.Hard > max) {
      throw new EngineError('BAD_PARAMETER', `ulimit ${name}=${u.Soft}:${u.Hard} exceeds the host's hard limit ${max}`);
    }
    return { type: `RLIMIT_${name.toUpperCase()}`, hard: u.Hard, soft: u.Soft };
  });
}
