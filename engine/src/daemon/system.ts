import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import type { EventsOptions, Json } from '../api/backend.js';
import type { DaemonContext } from './context.js';
import { eventMatcher } from './events.js';

export const API_VERSION = '1.43';
export const MIN_API_VERSION = '1.24';
export const BERTH_VERSION = '0.1.0';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function cgroupVersion(): '1' | '2' {
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    return '1';
  }
}

/** /version, /info, /system/df and /events. */
export class SystemInfo {
  readonly apiVersion = API_VERSION;
  readonly minApiVersion = MIN_API_VERSION;
  private readonly startedAt = Date.now();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly extra: { runtimeName: string; runtimeVersion?: string },
  ) {}

  version(): Json {
    return {
      Platform: { Name: 'Berth Engine' },
      Components: [
        {
          Name: 'Engine',
          Version: BERTH_VERSION,
          Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: 'amd64' },
        },
        { Name: this.extra.runtimeName, Version: this.extra.runtimeVersion ?? '' },
      ],
      Version: BERTH_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: 'berth',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      KernelVersion: release(),
      BuildTime: '',
    };
  }

  async info(): Promise<Json> {
    const all = this.ctx.containers.all();
    const images = await this.ctx.images.list();
    return {
      ID: this.ctx.root,
      Containers: all.length,
      ContainersRunning: all.filter((c) => c.state.Running && !c.state.Paused).length,
      ContainersPaused: all.filter((c) => c.state.Paused).length,
      ContainersStopped: all.filter((c) => !c.state.Running).length,
      Images: images.length,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
      ],
      DockerRootDir: this.ctx.root,
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Log: ['k8s-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: false,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'k8s-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: cgroupVersion(),
      NEventsListener: 0,
      KernelVersion: release(),
      OperatingSystem: osName(),
      OSType: 'linux',
      Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      NCPU: cpus().length,
      MemTotal: totalmem(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'], IndexConfigs: {}, Mirrors: [] },
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION,
      Runtimes: { [this.extra.runtimeName]: { path: this.extra.runtimeName } },
      DefaultRuntime: this.extra.runtimeName,
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      SecurityOptions: [],
      Warnings: [],
      UptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  async diskUsage(): Promise<Json> {
    const images = await this.ctx.images.list(undefined, true);
    const containers = this.ctx.containers.all();
    const { layersSize } = await this.ctx.images.diskUsage();
    const usedBy = (id: string) => containers.filter((c) => c.imageId === id).length;
    return {
      LayersSize: layersSize,
      Images: images.map((i) => ({
        Id: i.id,
        ParentId: '',
        RepoTags: i.repoTags,
        RepoDigests: i.repoDigests,
        Created: Math.floor(Date.parse(i.created) / 1000),
        Size: i.size,
        SharedSize: -1,
        VirtualSize: i.size,
        Labels: {},
        Containers: usedBy(i.id),
      })),
      Containers: await Promise.all(
        containers.map(async (c) => ({
          Id: c.id,
          Names: [`/${c.name}`],
          Image: c.config.Image,
          ImageID: c.imageId,
          Command: [c.path, ...c.args].join(' '),
          Created: Math.floor(Date.parse(c.created) / 1000),
          State: c.state.Status,
          Status: c.state.Status,
          SizeRw: (await this.ctx.snapshotter.usage(c.id).catch(() => ({ size: 0 }))).size,
          SizeRootFs: 0,
          Labels: c.config.Labels ?? {},
          Mounts: c.mountPoints,
        })),
      ),
      Volumes: [],
      BuildCache: [],
    };
  }

  events(opts: EventsOptions, signal: AbortSignal): AsyncIterable<Json> {
    return this.ctx.events.subscribe({
      since: opts.since,
      until: opts.until,
      match: eventMatcher(opts.filters),
      signal,
    }) as AsyncIterable<Json>;
  }
}
