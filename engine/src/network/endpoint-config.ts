import { EngineError } from '../errors.js';
import type { ContainerNetworkConfig, EndpointConfig, NetworkRecord } from './types.js';

const bad = (msg: string) => new EngineError('BAD_PARAMETER', msg);

/**
 * A container's network mode and the networks it joins (by ID, with their endpoint settings),
 * checked as dockerd checks them at create time. `container:<id>` joins none of its own.
 */
export function resolveNetworks(
  config: ContainerNetworkConfig,
  find: (ref: string) => NetworkRecord,
): { mode: string; networks: Record<string, EndpointConfig> } {
  const mode = !config.networkMode || config.networkMode === 'default' ? 'bridge' : config.networkMode;
  const networks: Record<string, EndpointConfig> = {};
  if (mode.startsWith('container:')) return { mode, networks };
  const primary = find(mode);
  const eps = config.endpointsConfig ?? {};
  networks[primary.Id] = eps[mode] ?? eps[primary.Name] ?? eps[primary.Id] ?? {};
  for (const [ref, cfg] of Object.entries(eps)) {
    const net = find(ref);
    if (net.Id === primary.Id) continue;
    if (primary.Driver !== 'bridge' || net.Driver !== 'bridge') {
      throw bad(`conflicting options: cannot attach both user-defined and non-user-defined network-modes`);
    }
    networks[net.Id] = cfg;
  }
  for (const [netId, cfg] of Object.entries(networks)) checkEndpoint(find(netId), cfg);
  return { mode, networks };
}

/** Aliases and static addresses only where Docker allows them (user-defined networks). */
export function checkEndpoint(net: NetworkRecord, cfg: EndpointConfig): void {
  const custom = net.Driver === 'bridge' && net.Name !== 'bridge';
  if (cfg.Aliases?.length && !custom)
    throw bad('network-scoped alias is supported only for containers in user defined networks');
  if (cfg.IPAMConfig?.IPv4Address) {
    if (!custom) throw bad('user specified IP address is supported on user defined networks only');
    if (!net.userSubnet)
      throw bad('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
}

/** The names a container answers to on a network besides its own: its aliases and short ID. */
export function endpointAliases(net: NetworkRecord, cfg: EndpointConfig, id: string): string[] {
  if (net.Name === 'bridge') return [];
  const short = id.slice(0, 12);
  return [...(cfg.Aliases ?? []).filter((a) => a !== short), short];
}
