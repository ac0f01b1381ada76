import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  type BlkioEntry,
  CLOCK_TICKS,
  hostMemory,
  type NetDevCounters,
  readBlkioV1,
  readIoStatV2,
  readKeyValues,
  readNetDev,
  readText,
  readUint,
  systemCpuUsage,
} from './stats-cgroup.js';

/**
 * `docker stats` data: Docker's stats JSON (GET /containers/{id}/stats) read from the
 * container's cgroup (v1 per-controller hierarchies, or v2's unified one) and its network
 * namespace's /proc/<pid>/net/dev.
 */

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface DockerStats {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioEntry[] | null;
    io_serviced_recursive: BlkioEntry[] | null;
    io_queue_recursive: null;
    io_service_time_recursive: null;
    io_wait_time_recursive: null;
    io_merged_recursive: null;
    io_time_recursive: null;
    sectors_recursive: null;
  };
  num_procs: 0;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: {
    usage?: number;
    max_usage?: number;
    stats?: Record<string, number>;
    failcnt?: number;
    limit?: number;
  };
  name: string;
  id: string;
  networks?: Record<string, NetDevCounters>;
}

export interface StatsTarget {
  id: string;
  /** Container name with Docker's leading slash. */
  name: string;
  /** The task's init pid (0 when not running: no network counters). */
  pid: number;
  /** The OCI spec's cgroupsPath, e.g. `/berth/<id>`. */
  cgroupsPath: string;
  /** False for --network host/container:… (Docker reports no networks then). */
  networks?: boolean;
}

export interface StatsOptions {
  cgroupRoot?: string;
  procRoot?: string;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const emptyCpu = (): CpuStats => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

/** v2 when the unified hierarchy is mounted at the root (not hybrid's /sys/fs/cgroup/unified). */
export function cgroupVersion(cgroupRoot = '/sys/fs/cgroup'): 1 | 2 {
  return existsSync(join(cgroupRoot, 'cgroup.controllers')) ? 2 : 1;
}

export class StatsReader {
  private readonly root: string;
  private readonly proc: string;
  private readonly version: 1 | 2;
  private memTotal?: number;

  constructor(opts: StatsOptions = {}) {
    this.root = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.proc = opts.procRoot ?? '/proc';
    this.version = cgroupVersion(this.root);
  }

  /** One stats object; `prev` (the previous sample) fills preread/precpu_stats as Docker streams do. */
  async sample(t: StatsTarget, prev?: DockerStats): Promise<DockerStats> {
    this.memTotal ??= await hostMemory(this.proc);
    const [cpu, memory, pids, blkio, system] = await Promise.all([
      this.version === 2 ? this.cpuV2(t) : this.cpuV1(t),
      this.version === 2 ? this.memoryV2(t) : this.memoryV1(t),
      this.pids(t),
      this.version === 2 ? this.blkioV2(t) : this.blkioV1(t),
      systemCpuUsage(this.proc),
    ]);
    cpu.system_cpu_usage = system;
    cpu.online_cpus = cpus().length;
    const networks = t.pid > 0 && t.networks !== false ? await readNetDev(t.pid, this.proc) : undefined;
    return {
      read: new Date().toISOString(),
      preread: prev?.read ?? ZERO_TIME,
      pids_stats: pids,
      blkio_stats: {
        io_service_bytes_recursive: blkio.bytes,
        io_serviced_recursive: blkio.ios,
        io_queue_recursive: null,
        io_service_time_recursive: null,
        io_wait_time_recursive: null,
        io_merged_recursive: null,
        io_time_recursive: null,
        sectors_recursive: null,
      },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpu,
      precpu_stats: prev?.cpu_stats ?? emptyCpu(),
      memory_stats: memory,
      name: t.name,
      id: t.id,
      ...(networks ? { networks } : {}),
    };
  }

  /**
   * What `docker stats --no-stream` gets (stream=false): a sample whose precpu is a sample taken
   * `primeMs` earlier, so CPU % is meaningful. Docker's collector waits a full second; a shorter
   * window gives the same ratio. /proc/stat counts host CPU time in 10 ms ticks, too coarse for a
   * short window, so the second sample's host CPU time is the first's plus the elapsed time on
   * every online CPU (what /proc/stat's total grows by, measured in nanoseconds).
   */
  async sampleOnce(t: StatsTarget, primeMs = 250): Promise<DockerStats> {
    const t0 = process.hrtime.bigint();
    const first = await this.sample(t);
    await new Promise((r) => setTimeout(r, primeMs));
    const t1 = process.hrtime.bigint();
    const second = await this.sample(t, first);
    const base = first.cpu_stats.system_cpu_usage;
    if (base !== undefined) {
      const elapsed = Number(t1 - t0);
      second.cpu_stats.system_cpu_usage = base + elapsed * (second.cpu_stats.online_cpus ?? 1);
    }
    return second;
  }

  /** A stats stream (stream=true): one sample per interval until the signal aborts. */
  async *stream(t: StatsTarget, opts: { intervalMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<DockerStats> {
    let prev: DockerStats | undefined;
    while (!opts.signal?.aborted) {
      prev = await this.sample(t, prev);
      yield prev;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.intervalMs ?? 1000);
        const abort = () => {
          clearTimeout(timer);
          resolve();
        };
        opts.signal?.addEventListener('abort', abort, { once: true });
      });
    }
  }

  private v1(controller: string, t: StatsTarget, file: string): string {
    return join(this.root, controller, t.cgroupsPath, file);
  }

  private v2(t: StatsTarget, file: string): string {
    return join(this.root, t.cgroupsPath, file);
  }

  private async cpuV1(t: StatsTarget): Promise<CpuStats> {
    const [total, percpu, stat, throttle] = await Promise.all([
      readUint(this.v1('cpuacct', t, 'cpuacct.usage')),
      readText(this.v1('cpuacct', t, 'cpuacct.usage_percpu')),
      readKeyValues(this.v1('cpuacct', t, 'cpuacct.stat')),
      readKeyValues(this.v1('cpu', t, 'cpu.stat')),
    ]);
    const toNs = (ticks = 0) => (ticks * 1e9) / CLOCK_TICKS;
    return {
      cpu_usage: {
        total_usage: total ?? 0,
        percpu_usage: percpu?.trim().split(/\s+/).filter(Boolean).map(Number),
        usage_in_kernelmode: toNs(stat?.system),
        usage_in_usermode: toNs(stat?.user),
      },
      throttling_data: {
        periods: throttle?.nr_periods ?? 0,
        throttled_periods: throttle?.nr_throttled ?? 0,
        throttled_time: throttle?.throttled_time ?? 0,
      },
    };
  }

  private async cpuV2(t: StatsTarget): Promise<CpuStats> {
    const s = (await readKeyValues(this.v2(t, 'cpu.stat'))) ?? {};
    return {
      cpu_usage: {
        total_usage: (s.usage_usec ?? 0) * 1000,
        usage_in_kernelmode: (s.system_usec ?? 0) * 1000,
        usage_in_usermode: (s.user_usec ?? 0) * 1000,
      },
      throttling_data: {
        periods: s.nr_periods ?? 0,
        throttled_periods: s.nr_throttled ?? 0,
        throttled_time: (s.throttled_usec ?? 0) * 1000,
      },
    };
  }

  /** Docker reports the host's memory as the limit when the cgroup's is larger (i.e. unlimited). */
  private capLimit(limit: number | undefined): number | undefined {
    if (limit === undefined || (this.memTotal && limit > this.memTotal)) return this.memTotal || limit;
    return limit;
  }

  private async memoryV1(t: StatsTarget): Promise<DockerStats['memory_stats']> {
    const [usage, max, limit, failcnt, stats] = await Promise.all([
      readUint(this.v1('memory', t, 'memory.usage_in_bytes')),
      readUint(this.v1('memory', t, 'memory.max_usage_in_bytes')),
      readUint(this.v1('memory', t, 'memory.limit_in_bytes')),
      readUint(this.v1('memory', t, 'memory.failcnt')),
      readKeyValues(this.v1('memory', t, 'memory.stat')),
    ]);
    if (usage === undefined) return {};
    return { usage, max_usage: max, stats: stats ?? {}, failcnt, limit: this.capLimit(limit) };
  }

  private async memoryV2(t: StatsTarget): Promise<DockerStats['memory_stats']> {
    const [usage, limit, stats] = await Promise.all([
      readUint(this.v2(t, 'memory.current')),
      readUint(this.v2(t, 'memory.max')),
      readKeyValues(this.v2(t, 'memory.stat')),
    ]);
    if (usage === undefined) return {};
    return { usage, stats: stats ?? {}, limit: this.capLimit(limit) };
  }

  /** `pids.max` of "max" is no limit, which Docker leaves out (0 with omitempty). */
  private async pids(t: StatsTarget): Promise<DockerStats['pids_stats']> {
    const dir = this.version === 2 ? this.v2(t, '') : this.v1('pids', t, '');
    const current = await readUint(join(dir, 'pids.current'));
    const limit = await readUint(join(dir, 'pids.max'));
    return { ...(current !== undefined ? { current } : {}), ...(limit ? { limit } : {}) };
  }

  private async blkioV1(t: StatsTarget): Promise<{ bytes: BlkioEntry[] | null; ios: BlkioEntry[] | null }> {
    // As libcontainer: the scheduler's (BFQ/CFQ) recursive counters when they have data, else throttle's.
    for (const prefix of ['blkio.bfq.', 'blkio.', 'blkio.throttle.']) {
      const bytes = await readBlkioV1(this.v1('blkio', t, `${prefix}io_service_bytes_recursive`));
      if (bytes?.length) {
        const ios = await readBlkioV1(this.v1('blkio', t, `${prefix}io_serviced_recursive`));
        return { bytes, ios: ios ?? null };
      }
    }
    return { bytes: null, ios: null };
  }

  private async blkioV2(t: StatsTarget): Promise<{ bytes: BlkioEntry[] | null; ios: BlkioEntry[] | null }> {
    const io = await readIoStatV2(this.v2(t, 'io.stat'));
    return { bytes: io?.bytes.length ? io.bytes : null, ios: io?.ios.length ? io.ios : null };
  }

  /**
   * Whether the kernel's OOM killer acted in this cgroup: v1 memory.oom_control's `oom_kill`
   * counter (or `under_oom`), v2 memory.events' `oom_kill`. Read it after the task exits and
   * before the runtime deletes the cgroup, to set State.OOMKilled.
   */
  async oomKilled(cgroupsPath: string): Promise<boolean> {
    if (this.version === 2)
      return ((await readKeyValues(join(this.root, cgroupsPath, 'memory.events')))?.oom_kill ?? 0) > 0;
    const oc = await readKeyValues(join(this.root, 'memory', cgroupsPath, 'memory.oom_control'));
    return (oc?.oom_kill ?? 0) > 0 || (oc?.under_oom ?? 0) > 0;
  }
}
