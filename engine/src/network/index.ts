/** Networking for berthd: what the daemon and API call (see NetworkManager and its `containers`). */

export type { ContainerNetworking } from './containers.js';
export { buildHostname, buildHosts, buildResolvConf } from './files.js';
export { cleanupCniChains } from './iptables.js';
export { NetworkManager, type NetworkManagerOptions } from './manager.js';
export type { EndpointSettings, NetworkSettings } from './settings.js';
export type {
  ContainerNetworkConfig,
  ContainerNetworkStart,
  EndpointConfig,
  FileMount,
  NetworkCreateRequest,
  NetworkInspect,
  PortMapping,
} from './types.js';
