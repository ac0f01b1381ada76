import { portsSetting } from './ports.js';
import type { ContainerNetState, NetworkRecord } from './types.js';

/** One entry of NetworkSettings.Networks (Docker's EndpointSettings). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string } | null;
  Links: null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: null;
}

/** `docker inspect`'s NetworkSettings. */
export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
  SandboxKey: string;
  SecondaryIPAddresses: null;
  SecondaryIPv6Addresses: null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

/**
 * NetworkSettings for a container. As in moby, the top-level address fields describe the
 * default `bridge` network only; a stopped container keeps its networks with empty addresses
 * and an empty Ports map.
 */
export function buildNetworkSettings(
  state: ContainerNetState,
  network: (id: string) => NetworkRecord | undefined,
): NetworkSettings {
  const live = state.live;
  const networks: Record<string, EndpointSettings> = {};
  let top: EndpointSettings | undefined;
  for (const [id, cfg] of Object.entries(state.networks)) {
    const net = network(id);
    if (!net) continue;
    const ep = live?.endpoints[id];
    const settings: EndpointSettings = {
      IPAMConfig: cfg.IPAMConfig ?? null,
      Links: null,
      Aliases: ep ? (ep.aliases.length ? ep.aliases : null) : (cfg.Aliases ?? null),
      NetworkID: id,
      EndpointID: ep?.endpointId ?? '',
      Gateway: ep?.gateway ?? '',
      IPAddress: ep?.ip ?? '',
      IPPrefixLen: ep?.prefixLen ?? 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: ep?.mac ?? '',
      DriverOpts: null,
    };
    networks[net.Name] = settings;
    if (net.Name === 'bridge') top = settings;
  }
  return {
    Bridge: '',
    SandboxID: live?.netnsName ?? '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: live ? portsSetting(state.config.exposedPorts, live.ports) : {},
    SandboxKey: live?.netnsPath ?? '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: top?.EndpointID ?? '',
    Gateway: top?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: top?.IPAddress ?? '',
    IPPrefixLen: top?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: top?.MacAddress ?? '',
    Networks: networks,
  };
}
