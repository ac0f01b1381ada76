import type { ContainerConfig, ContainerState, HostConfig, MountPoint } from '../types/docker.js';

export interface EndpointRecord {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Aliases: string[] | null;
}

export interface NetworkSettingsRecord {
  SandboxKey: string;
  Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
  Networks: Record<string, EndpointRecord>;
}

/** A container as berthd persists it (`<data-root>/containers/<id>/config.json`). */
export interface ContainerRecord {
  id: string;
  name: string; // without the leading slash
  created: string;
  /** The config as the container runs it: the request merged with the image's defaults (as `docker inspect` shows). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  imageId: string;
  path: string;
  args: string[];
  state: ContainerState;
  restartCount: number;
  /** Set when `docker stop`/`kill` stopped it, so restart policies leave it alone. */
  manuallyStopped: boolean;
  logPath: string;
  mountPoints: MountPoint[];
  networkSettings: NetworkSettingsRecord;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: '0001-01-01T00:00:00Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  };
}
