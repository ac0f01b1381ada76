import type { HostConfig } from '../types/docker.js';
import type { CniResult, NetworkConfList } from './cni.js';

/** A network as stored (Docker's inspect fields plus the Linux bridge berthd runs it on). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Linux bridge name (bridge driver only). */
  bridge?: string;
  /** The subnet was given by the user (Docker allows --ip only then). */
  userSubnet?: boolean;
}

export interface IpamConfig {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
}

/** `docker network inspect` shape. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: NetworkRecord['IPAM'];
  Internal: boolean;
  Attachable: boolean;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Containers: Record<
    string,
    { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }
  >;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** POST /networks/create body (the fields berthd honours). */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate?: boolean;
  IPAM?: {
    Driver?: string;
    Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null;
    Options?: Record<string, string> | null;
  };
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** NetworkingConfig.EndpointsConfig entry / network connect body. */
export interface EndpointConfig {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
}

/** What the network side needs to know about a container, given at create time. */
export interface ContainerNetworkConfig {
  name: string;
  hostname: string;
  domainname?: string;
  /** HostConfig.NetworkMode: '' / 'default' / 'bridge', 'host', 'none', 'container:<full id>', or a network name/ID. */
  networkMode?: string;
  endpointsConfig?: Record<string, EndpointConfig> | null;
  exposedPorts?: Record<string, object> | null;
  hostConfig?: Pick<HostConfig, 'PortBindings' | 'PublishAllPorts' | 'Dns' | 'DnsSearch' | 'DnsOptions' | 'ExtraHosts'>;
}

/** A published port after allocation. */
export interface PortMapping {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

export interface EndpointState {
  networkId: string;
  endpointId: string;
  ifname: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  /** The configuration list and the cached ADD result, needed for DEL (also after a restart). */
  conf: NetworkConfList;
  result: CniResult;
  capabilityArgs: Record<string, unknown>;
}

export interface ContainerNetState {
  id: string;
  config: ContainerNetworkConfig;
  /** Networks (by ID) the container is connected to, with their endpoint settings. */
  networks: Record<string, EndpointConfig>;
  /** Present while the container's networking is up. */
  live?: {
    netnsName?: string;
    /** null: the host's namespace. */
    netnsPath: string | null;
    endpoints: Record<string, EndpointState>;
    ports: PortMapping[];
    filesDir?: string;
  };
}

/** An OCI bind mount for /etc/hosts, /etc/resolv.conf, /etc/hostname. */
export interface FileMount {
  destination: string;
  type: 'bind';
  source: string;
  options: string[];
}

export interface ContainerNetworkStart {
  /** Path for the OCI spec's network namespace; null: share the host's (omit the namespace). */
  netnsPath: string | null;
  /** Bind mounts for /etc/hosts, /etc/resolv.conf and /etc/hostname. */
  mounts: FileMount[];
}
