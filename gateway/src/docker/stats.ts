// One sample of `docker stats`, computed the way the docker CLI does.
export interface StatsSample {
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  netRx: number;
  netTx: number;
  pids: number;
  time: string;
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface RawStats {
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  pids_stats?: { current?: number };
}

export function toSample(s: RawStats): StatsSample {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  const mem = s.memory_stats ?? {};
  // Page cache is reclaimable, so the CLI leaves it out: cgroup v1 total_inactive_file, v2 inactive_file.
  const cache = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes ?? 0;
    netTx += n.tx_bytes ?? 0;
  }
  return {
    cpuPercent: Math.round(cpuPercent * 100) / 100,
    memUsage: Math.max(0, (mem.usage ?? 0) - cache),
    memLimit: mem.limit ?? 0,
    netRx,
    netTx,
    pids: s.pids_stats?.current ?? 0,
    time: s.read ?? new Date().toISOString(),
  };
}
