// The gateway's own shapes for engine objects. The console type-imports the router, so these
// (not @types/dockerode) are the contract: camelCase, only what the console uses, stable.
import type Dockerode from 'dockerode';

export interface PortMapping {
  privatePort: number;
  publicPort: number | null;
  type: string;
  ip: string | null;
}

export interface ContainerSummary {
  id: string;
  name: string;
  names: string[];
  image: string;
  imageId: string;
  command: string;
  created: number;
  state: string;
  status: string;
  ports: PortMapping[];
  labels: Record<string, string>;
}

const trimSlash = (n: string) => n.replace(/^\//, '');

export function containerSummary(c: Dockerode.ContainerInfo): ContainerSummary {
  const names = (c.Names ?? []).map(trimSlash);
  return {
    id: c.Id,
    name: names[0] ?? c.Id.slice(0, 12),
    names,
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    created: c.Created,
    state: c.State,
    status: c.Status,
    ports: (c.Ports ?? []).map((p) => ({
      privatePort: p.PrivatePort,
      publicPort: p.PublicPort ?? null,
      type: p.Type,
      ip: p.IP ?? null,
    })),
    labels: c.Labels ?? {},
  };
}

export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  state: {
    status: string;
    running: boolean;
    paused: boolean;
    restarting: boolean;
    exitCode: number;
    pid: number;
    startedAt: string;
    finishedAt: string;
    error: string;
  };
  config: {
    cmd: string[];
    entrypoint: string[];
    env: string[];
    tty: boolean;
    openStdin: boolean;
    workingDir: string;
    user: string;
    labels: Record<string, string>;
  };
  hostConfig: {
    memory: number;
    nanoCpus: number;
    restartPolicy: string;
    binds: string[];
    networkMode: string;
  };
  mounts: { type: string; source: string; destination: string; readOnly: boolean; name: string | null }[];
  networks: { name: string; ipAddress: string; macAddress: string }[];
  ports: PortMapping[];
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export function containerDetails(c: Dockerode.ContainerInspectInfo): ContainerDetails {
  const hc = (c.HostConfig ?? {}) as Dockerode.HostConfig;
  const ports: PortMapping[] = [];
  for (const [spec, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const [port, type = 'tcp'] = spec.split('/');
    if (!bindings?.length) ports.push({ privatePort: Number(port), publicPort: null, type, ip: null });
    for (const b of bindings ?? [])
      ports.push({ privatePort: Number(port), publicPort: Number(b.HostPort) || null, type, ip: b.HostIp || null });
  }
  return {
    id: c.Id,
    name: trimSlash(c.Name),
    image: c.Config?.Image ?? '',
    imageId: c.Image,
    created: c.Created,
    state: {
      status: c.State.Status,
      running: c.State.Running,
      paused: c.State.Paused,
      restarting: c.State.Restarting,
      exitCode: c.State.ExitCode,
      pid: c.State.Pid,
      startedAt: c.State.StartedAt,
      finishedAt: c.State.FinishedAt,
      error: c.State.Error,
    },
    config: {
      cmd: asList(c.Config?.Cmd),
      entrypoint: asList(c.Config?.Entrypoint),
      env: c.Config?.Env ?? [],
      tty: Boolean(c.Config?.Tty),
      openStdin: Boolean(c.Config?.OpenStdin),
      workingDir: c.Config?.WorkingDir ?? '',
      user: c.Config?.User ?? '',
      labels: c.Config?.Labels ?? {},
    },
    hostConfig: {
      memory: hc.Memory ?? 0,
      nanoCpus: hc.NanoCpus ?? 0,
      restartPolicy: hc.RestartPolicy?.Name ?? '',
      binds: hc.Binds ?? [],
      networkMode: hc.NetworkMode ?? '',
    },
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: m.Source,
      destination: m.Destination,
      readOnly: !m.RW,
      name: m.Name ?? null,
    })),
    networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({
      name,
      ipAddress: n.IPAddress,
      macAddress: n.MacAddress,
    })),
    ports,
  };
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: number;
  size: number;
  containers: number;
  labels: Record<string, string>;
}

export function imageSummary(i: Dockerode.ImageInfo): ImageSummary {
  return {
    id: i.Id,
    repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    repoDigests: (i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>'),
    created: i.Created,
    size: i.Size,
    containers: i.Containers ?? -1,
    labels: i.Labels ?? {},
  };
}

export interface VolumeSummary {
  name: string;
  driver: string;
  mountpoint: string;
  createdAt: string | null;
  labels: Record<string, string>;
  scope: string;
}

export function volumeSummary(v: Dockerode.VolumeInspectInfo & { CreatedAt?: string }): VolumeSummary {
  return {
    name: v.Name,
    driver: v.Driver,
    mountpoint: v.Mountpoint,
    createdAt: v.CreatedAt ?? null,
    labels: v.Labels ?? {},
    scope: v.Scope ?? 'local',
  };
}

export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  created: string | null;
  labels: Record<string, string>;
  subnets: string[];
}

export function networkSummary(n: Dockerode.NetworkInspectInfo): NetworkSummary {
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    internal: Boolean(n.Internal),
    created: n.Created ?? null,
    labels: n.Labels ?? {},
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s)),
  };
}
