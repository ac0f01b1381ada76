import type { Json } from '../api/backend.js';
import { type DockerStats, StatsReader, type StatsTarget } from '../containers/stats.js';
import { type ResourceUpdate, updateResources } from '../containers/stats-limits.js';
import type { ContainerRecord } from '../containers/types.js';
import { EngineError } from '../errors.js';
import type { HostConfig } from '../types/docker.js';
import { containerAttributes, type DaemonContext } from './context.js';
import type { NetworkOps } from './network.js';
import { validRestartPolicy } from './restart.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The resource fields `docker update` may change (only those present and non-zero are applied, as moby). */
const RESOURCE_FIELDS = [
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpuQuota',
  'CpuPeriod',
  'CpusetCpus',
  'CpusetMems',
  'BlkioWeight',
] as const;

/**
 * `docker stats` and `docker update`: stats read from the container's cgroup (and its network
 * namespace's counters), and limits changed on the running task through the OCI runtime.
 */
export class StatsOps {
  readonly reader = new StatsReader();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly network: NetworkOps,
    private readonly runtime: { root: string; runc?: string },
  ) {}

  private target(c: ContainerRecord): StatsTarget {
    return {
      id: c.id,
      name: `/${c.name}`,
      pid: c.state.Pid,
      cgroupsPath: `/berth/${c.id}`,
      networks: !this.network.sharesNamespace(c),
    };
  }

  /** Whether the kernel OOM-killed in the container's cgroup (before the runtime deletes it). */
  oomKilled(c: ContainerRecord): Promise<boolean> {
    return this.reader.oomKilled(`/berth/${c.id}`);
  }

  /**
   * GET /containers/{id}/stats. stream=false: one sample with a CPU baseline taken just before
   * (one-shot: no baseline); stream=true: one per second until the client goes. A container that
   * is not running has empty stats, as with dockerd.
   */
  stats(ref: string, opts: { stream: boolean; oneShot: boolean }, signal: AbortSignal): AsyncIterable<Json> {
    // Looked up now, so an unknown container is a 404 before the stream starts.
    return this.samples(this.ctx.containers.get(ref), opts, signal);
  }

  private async *samples(
    c: ContainerRecord,
    opts: { stream: boolean; oneShot: boolean },
    signal: AbortSignal,
  ): AsyncGenerator<Json> {
    const running = () => c.state.Running && !c.state.Restarting && c.state.Pid > 0;
    if (!opts.stream) {
      if (!running()) yield empty(c);
      else
        yield (opts.oneShot
          ? await this.reader.sample(this.target(c))
          : await this.reader.sampleOnce(this.target(c))) as unknown as Json;
      return;
    }
    let prev: DockerStats | undefined;
    while (!signal.aborted && this.ctx.containers.find(c.id)) {
      if (running()) {
        prev = await this.reader.sample(this.target(c), prev);
        yield prev as unknown as Json;
      } else {
        prev = undefined;
        yield empty(c);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /** POST /containers/{id}/update: limits (applied at once when running) and the restart policy. */
  async update(ref: string, body: HostConfig & ResourceUpdate): Promise<{ Warnings: string[] }> {
    const c = this.ctx.containers.get(ref);
    const hc = c.hostConfig as HostConfig & ResourceUpdate;
    const delta: ResourceUpdate = {};
    for (const key of RESOURCE_FIELDS) {
      const v = body[key];
      if (v) (delta as Record<string, unknown>)[key] = v;
    }
    if (body.PidsLimit !== undefined && body.PidsLimit !== null) delta.PidsLimit = body.PidsLimit;
    const policy = body.RestartPolicy;
    if (policy?.Name) {
      if (!validRestartPolicy(policy))
        throw new EngineError('BAD_PARAMETER', `invalid restart policy '${policy.Name}'`);
      if (hc.AutoRemove && policy.Name !== 'no')
        throw new EngineError(
          'BAD_PARAMETER',
          'Restart policy cannot be updated because AutoRemove is enabled for the container',
        );
    }
    // moby's UpdateContainer: memory above the swap limit already in force needs a new swap limit too.
    const swap = hc.MemorySwap || (hc.Memory ? hc.Memory * 2 : 0);
    if (delta.Memory && !delta.MemorySwap && swap > 0 && delta.Memory > swap) {
      throw new EngineError(
        'CONFLICT',
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    }
    if (c.state.Running && !c.state.Restarting) await updateResources(c.id, delta, this.runtime);
    Object.assign(hc, delta);
    if (typeof delta.PidsLimit === 'number' && delta.PidsLimit <= 0) hc.PidsLimit = 0;
    if (policy?.Name) hc.RestartPolicy = { Name: policy.Name, MaximumRetryCount: policy.MaximumRetryCount ?? 0 };
    await this.ctx.containers.save(c);
    this.ctx.events.publish('container', 'update', c.id, containerAttributes(c));
    return { Warnings: [] };
  }
}

/** What dockerd answers for a container that is not running: names and zero values. */
function empty(c: ContainerRecord): Json {
  const cpu = {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: {},
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: cpu,
    memory_stats: {},
    name: `/${c.name}`,
    id: c.id,
  };
}
