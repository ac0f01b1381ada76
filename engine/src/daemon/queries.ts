import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Json, LogsOptions, OutputFrame } from '../api/backend.js';
import type { ContainerRecord } from '../containers/types.js';
import { EngineError } from '../errors.js';
import type { DaemonContext } from './context.js';
import { commandLine, statusText, unixSeconds } from './format.js';

const run = promisify(execFile);

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Read-only views of containers: list, inspect, top, logs. */
export class ContainerQueries {
  /** Extra inspect fields from other parts (exec ids, network settings, mounts). */
  decorate?: (c: ContainerRecord, out: Json) => void;

  constructor(
    private readonly ctx: DaemonContext,
    /** Resolves when the container's current run has ended (for `logs -f`). */
    private readonly exitOf: (c: ContainerRecord) => Promise<unknown>,
  ) {}

  private async matcher(filters: Record<string, string[]>): Promise<(c: ContainerRecord) => boolean> {
    const checks: ((c: ContainerRecord) => boolean)[] = [];
    const any = (key: string, test: (c: ContainerRecord, v: string) => boolean) => {
      const values = filters[key];
      if (values && values.length > 0) checks.push((c) => values.some((v) => test(c, v)));
    };
    any('id', (c, v) => c.id.startsWith(v));
    any('name', (c, v) => {
      try {
        return new RegExp(v).test(`/${c.name}`);
      } catch {
        throw new EngineError('BAD_PARAMETER', `invalid name filter: ${v}`);
      }
    });
    any('label', (c, v) => labelMatches(c.config.Labels ?? {}, v));
    any('status', (c, v) => {
      if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(v)) {
        throw new EngineError('BAD_PARAMETER', `invalid filter 'status=${v}'`);
      }
      return c.state.Status === v;
    });
    any('exited', (c, v) => !c.state.Running && c.state.Status === 'exited' && c.state.ExitCode === Number(v));
    any('volume', (c, v) => c.mountPoints.some((m) => m.Name === v || m.Destination === v));
    any('network', (c, v) =>
      Object.entries(c.networkSettings.Networks).some(([name, e]) => name === v || e.NetworkID.startsWith(v)),
    );
    any('health', (c, v) => (c.state.Health?.Status ?? 'none') === v);
    any('is-task', (_c, v) => v === 'false');
    const ancestors = filters.ancestor ?? [];
    if (ancestors.length > 0) {
      const ids = new Set<string>();
      for (const ref of ancestors) {
        const image = await this.ctx.images.get(ref).catch(() => undefined);
        if (image) ids.add(image.id);
      }
      checks.push((c) => ids.has(c.imageId));
    }
    for (const key of ['before', 'since'] as const) {
      const ref = filters[key]?.[0];
      if (!ref) continue;
      const pivot = this.ctx.containers.get(ref);
      checks.push((c) => (key === 'before' ? c.created < pivot.created : c.created > pivot.created));
    }
    return (c) => checks.every((check) => check(c));
  }

  async list(opts: {
    all: boolean;
    limit?: number;
    size: boolean;
    filters: Record<string, string[]>;
  }): Promise<Json[]> {
    const match = await this.matcher(opts.filters);
    const showAll =
      opts.all ||
      (opts.limit !== undefined && opts.limit > 0) ||
      Boolean(opts.filters.status?.length || opts.filters.exited?.length);
    let list = this.ctx.containers
      .all()
      // A container waiting to be restarted by its policy counts as running, as in dockerd.
      .filter((c) => (showAll || c.state.Running || c.state.Restarting) && match(c))
      .sort((a, b) => (a.created < b.created ? 1 : -1));
    if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
    return Promise.all(list.map((c) => this.summary(c, opts.size)));
  }

  private async summary(c: ContainerRecord, size: boolean): Promise<Json> {
    const ports: Json[] = [];
    for (const [key, bindings] of Object.entries(c.networkSettings.Ports)) {
      const [port, proto = 'tcp'] = key.split('/');
      if (!bindings || bindings.length === 0) ports.push({ PrivatePort: Number(port), Type: proto });
      for (const b of bindings ?? [])
        ports.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
    }
    const out: Json = {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.config.Image,
      ImageID: c.imageId,
      Command: commandLine(c),
      Created: unixSeconds(c.created),
      Ports: ports,
      Labels: c.config.Labels ?? {},
      State: c.state.Status,
      Status: statusText(c),
      HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? 'default' },
      NetworkSettings: { Networks: c.networkSettings.Networks },
      Mounts: c.mountPoints,
    };
    if (size) {
      out.SizeRw = (await this.ctx.snapshotter.usage(c.id).catch(() => ({ size: 0 }))).size;
      out.SizeRootFs = out.SizeRw as number;
    }
    return out;
  }

  async inspect(ref: string, size: boolean): Promise<Json> {
    const c = this.ctx.containers.get(ref);
    const mounts = await this.ctx.snapshotter.mounts(c.id).catch(() => []);
    const overlay = mounts.find((m) => m.type === 'overlay')?.options ?? [];
    const opt = (name: string) => overlay.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';
    const { Health, ...state } = c.state;
    const ns = c.networkSettings;
    const primary = Object.values(ns.Networks)[0];
    const out: Json = {
      Id: c.id,
      Created: c.created,
      Path: c.path,
      Args: c.args,
      State: Health ? { ...state, Health } : state,
      Image: c.imageId,
      ResolvConfPath: c.resolvConfPath,
      HostnamePath: c.hostnamePath,
      HostsPath: c.hostsPath,
      LogPath: c.logPath,
      Name: `/${c.name}`,
      RestartCount: c.restartCount,
      Driver: 'overlay2',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: null,
      HostConfig: c.hostConfig,
      GraphDriver: {
        Name: 'overlay2',
        Data: { LowerDir: opt('lowerdir'), UpperDir: opt('upperdir'), WorkDir: opt('workdir'), MergedDir: '' },
      },
      Mounts: c.mountPoints,
      Config: c.config,
      NetworkSettings: {
        Bridge: '',
        SandboxID: ns.SandboxKey ? c.id : '',
        HairpinMode: false,
        LinkLocalIPv6Address: '',
        LinkLocalIPv6PrefixLen: 0,
        Ports: ns.Ports,
        SandboxKey: ns.SandboxKey,
        SecondaryIPAddresses: null,
        SecondaryIPv6Addresses: null,
        EndpointID: primary?.EndpointID ?? '',
        Gateway: primary?.Gateway ?? '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        IPAddress: primary?.IPAddress ?? '',
        IPPrefixLen: primary?.IPPrefixLen ?? 0,
        IPv6Gateway: '',
        MacAddress: primary?.MacAddress ?? '',
        Networks: ns.Networks,
      },
    };
    if (size) {
      const usage = await this.ctx.snapshotter.usage(c.id).catch(() => ({ size: 0 }));
      out.SizeRw = usage.size;
      out.SizeRootFs = usage.size;
    }
    this.decorate?.(c, out);
    return out;
  }

  /** `docker top`: run ps on the host and keep the container's processes, as dockerd does. */
  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.ctx.containers.get(ref);
    if (!c.state.Running) throw new EngineError('CONFLICT', `Container ${c.id} is not running`);
    if (c.state.Paused) throw new EngineError('CONFLICT', `Container ${c.id} is paused`);
    const pids = new Set((await this.ctx.runtime.pids(c.id)).map(String));
    const args = psArgs.split(/\s+/).filter(Boolean);
    let stdout: string;
    try {
      ({ stdout } = await run('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
    } catch (err) {
      throw new EngineError('BAD_PARAMETER', `Error running ps: ${(err as Error).message}`);
    }
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    const header = (lines.shift() ?? '').trim().split(/\s+/);
    const pidCol = header.indexOf('PID');
    if (pidCol < 0) throw new EngineError('BAD_PARAMETER', "Couldn't find PID field in ps output");
    const processes = lines
      .map((line) => {
        const fields = line.trim().split(/\s+/);
        // The last column (the command) may contain spaces.
        return [...fields.slice(0, header.length - 1), fields.slice(header.length - 1).join(' ')];
      })
      .filter((row) => pids.has(row[pidCol] ?? ''));
    return { Titles: header, Processes: processes };
  }

  async *logs(ref: string, opts: LogsOptions, signal: AbortSignal): AsyncGenerator<OutputFrame> {
    const c = this.ctx.containers.get(ref);
    const done = opts.follow && c.state.Running ? this.exitOf(c) : Promise.resolve();
    const entries = this.ctx.runtime.readLogs(c.logPath, {
      follow: opts.follow && c.state.Running,
      tail: opts.tail,
      since: opts.since,
      until: opts.until,
      done,
      signal,
    });
    for await (const entry of entries) {
      if ((entry.stream === 'stdout' && !opts.stdout) || (entry.stream === 'stderr' && !opts.stderr)) continue;
      const data = opts.timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.data]) : entry.data;
      yield { stream: entry.stream, data };
    }
  }
}
