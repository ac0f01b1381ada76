import { spawn } from 'node:child_process';
import { EngineError } from '../errors.js';
import type { HostConfig } from '../types/docker.js';

/**
 * `docker update`'s resource part: HostConfig limits → OCI LinuxResources, applied to a running
 * container with `runc update --resources -` (runc knows the cgroup driver, v1/v2 layout and
 * the ordering rules such as raising memsw before memory).
 */

export type ResourceUpdate = Pick<
  HostConfig,
  | 'Memory'
  | 'MemorySwap'
  | 'MemoryReservation'
  | 'NanoCpus'
  | 'CpuShares'
  | 'CpuQuota'
  | 'CpuPeriod'
  | 'CpusetCpus'
  | 'PidsLimit'
  | 'OomKillDisable'
> & { CpusetMems?: string; BlkioWeight?: number };

export interface LinuxResources {
  memory?: { limit?: number; swap?: number; reservation?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight: number };
}

const bad = (msg: string) => new EngineError('BAD_PARAMETER', msg);

/** Only the fields present in the update are set; absent ones stay as they are. */
export function resourcesFromHostConfig(u: ResourceUpdate): LinuxResources {
  const r: LinuxResources = {};
  if (u.NanoCpus && (u.CpuQuota || u.CpuPeriod)) {
    throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (u.Memory !== undefined && u.Memory !== 0 && u.Memory < 6 * 1024 * 1024) {
    throw bad('Minimum memory limit allowed is 6MB');
  }
  if (u.Memory && u.MemorySwap && u.MemorySwap > 0 && u.MemorySwap < u.Memory) {
    throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (u.Memory) memory.limit = u.Memory;
  if (u.MemorySwap) memory.swap = u.MemorySwap;
  if (u.MemoryReservation) memory.reservation = u.MemoryReservation;
  if (u.OomKillDisable !== undefined) memory.disableOOMKiller = u.OomKillDisable;
  if (Object.keys(memory).length) r.memory = memory;
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (u.CpuShares) cpu.shares = u.CpuShares;
  if (u.NanoCpus) {
    // Docker's --cpus: a 100 ms period and the matching quota.
    cpu.period = 100_000;
    cpu.quota = Math.round((u.NanoCpus * 100_000) / 1e9);
    if (cpu.quota < 1000) throw bad('Range of CPUs is from 0.01 to the number of CPUs available');
  }
  if (u.CpuPeriod) cpu.period = u.CpuPeriod;
  if (u.CpuQuota) cpu.quota = u.CpuQuota;
  if (u.CpusetCpus) cpu.cpus = u.CpusetCpus;
  if (u.CpusetMems) cpu.mems = u.CpusetMems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  // API: "0 or -1 for unlimited, null to not change"; runc's -1 writes "max".
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) r.pids = { limit: u.PidsLimit > 0 ? u.PidsLimit : -1 };
  if (u.BlkioWeight) {
    if (u.BlkioWeight < 10 || u.BlkioWeight > 1000) throw bad('Range of blkio weight is from 10 to 1000');
    r.blockIO = { weight: u.BlkioWeight };
  }
  return r;
}

/** Apply the update to a running container through `runc [--root R] update --resources - <id>`. */
export async function updateResources(
  id: string,
  update: ResourceUpdate,
  opts: { runc?: string; root?: string } = {},
): Promise<LinuxResources> {
  const resources = resourcesFromHostConfig(update);
  if (Object.keys(resources).length === 0) return resources;
  const args = [...(opts.root ? ['--root', opts.root] : []), 'update', '--resources', '-', id];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(opts.runc ?? 'runc', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (e) => reject(new EngineError('RUNTIME', `runc update: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new EngineError('RUNTIME', `Cannot update container ${id}: ${stderr.trim() || `runc exited ${code}`}`),
          ),
    );
    child.stdin.end(JSON.stringify(resources));
  });
  return resources;
}
