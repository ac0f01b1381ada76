import { randomBytes } from 'node:crypto';
import { EngineError } from '../errors.js';
import { CNI_VERSION, type Cni, type NetworkConfList, type PluginConf } from './cni.js';
import { splitAddress } from './ipam.js';
import { portmapArgs } from './ports.js';
import type { EndpointState, NetworkRecord, PortMapping } from './types.js';

/** How berthd chains the standard plugins for a bridge network. */
export interface ChainOptions {
  /** host-local's state directory (berthd's own, not /var/lib/cni). */
  ipamDir: string;
  /** Also run CNI's firewall plugin per container (berthd's per-network FORWARD rules already cover it). */
  firewall: boolean;
  /** Publish ports through CNI's portmap (iptables DNAT) as well as the userland proxy. */
  portmap: boolean;
}

export const LOOPBACK: NetworkConfList = {
  cniVersion: CNI_VERSION,
  name: 'berth-loopback',
  plugins: [{ type: 'loopback' }],
};

/** The configuration list for one attachment to a bridge network. */
export function bridgeConfList(net: NetworkRecord, opts: ChainOptions, withPorts: boolean): NetworkConfList {
  const cfg = net.IPAM.Config[0];
  if (!cfg || !net.bridge) throw new EngineError('INTERNAL', `network ${net.Name} has no subnet`);
  const mtu = Number(net.Options['com.docker.network.driver.mtu'] ?? 0);
  const range: Record<string, string> = { subnet: cfg.Subnet, gateway: cfg.Gateway };
  if (cfg.IPRange) {
    // host-local takes a start/end; Docker's --ip-range is a CIDR inside the subnet.
    const [start, end] = rangeBounds(cfg.IPRange, cfg.Subnet);
    range.rangeStart = start;
    range.rangeEnd = end;
  }
  const plugins: PluginConf[] = [
    {
      type: 'bridge',
      bridge: net.bridge,
      isGateway: true,
      // Masquerading is a per-network rule (rules.ts), not per-container chains.
      ipMasq: false,
      hairpinMode: true,
      ...(mtu > 0 ? { mtu } : {}),
      capabilities: { ips: true },
      ipam: {
        type: 'host-local',
        ranges: [[range]],
        // Internal networks get no default route: nothing leaves the bridge (Docker's --internal).
        routes: net.Internal ? [] : [{ dst: '0.0.0.0/0' }],
        dataDir: opts.ipamDir,
      },
    },
  ];
  if (opts.firewall) plugins.push({ type: 'firewall', backend: 'iptables' });
  if (withPorts && opts.portmap) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return { cniVersion: CNI_VERSION, name: `berth-${net.Id.slice(0, 12)}`, plugins };
}

/** host-local takes a start/end address; clip the --ip-range CIDR to the subnet's host addresses. */
function rangeBounds(ipRange: string, subnet: string): [string, string] {
  const span = (cidr: string): [number, number] => {
    const [ip = '', len = '32'] = cidr.split('/');
    const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(len));
    const base = n - (n % size);
    return [base, base + size - 1];
  };
  const [r0, r1] = span(ipRange);
  const [s0, s1] = span(subnet);
  const toIp = (v: number) => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
  return [toIp(Math.max(r0, s0 + 1)), toIp(Math.min(r1, s1 - 1))];
}

export interface AddEndpointOptions {
  containerId: string;
  netnsPath: string;
  ifname: string;
  ipv4?: string;
  aliases: string[];
  ports: PortMapping[];
}

/** CNI ADD of one container interface on a bridge network. */
export async function addEndpoint(
  cni: Cni,
  net: NetworkRecord,
  o: AddEndpointOptions,
  chain: ChainOptions,
): Promise<EndpointState> {
  // Loopback bindings go through the userland proxy only, as with Docker's docker-proxy:
  // DNAT buys nothing there (the client is the host itself) and costs iptables work per container.
  const dnat = o.ports.filter((p) => !p.hostIp.startsWith('127.'));
  const conf = bridgeConfList(net, chain, dnat.length > 0);
  const prefix = net.IPAM.Config[0]?.Subnet.split('/')[1] ?? '16';
  const capabilityArgs: Record<string, unknown> = {};
  if (o.ipv4) capabilityArgs.ips = [`${o.ipv4}/${prefix}`];
  if (dnat.length > 0 && chain.portmap) capabilityArgs.portMappings = portmapArgs(dnat);
  const att = { containerId: o.containerId, netns: o.netnsPath, ifname: o.ifname, capabilityArgs };
  const result = await cni.add(conf, att);
  const ipEntry = result.ips?.[0];
  if (!ipEntry) {
    await cni.del(conf, att, result).catch(() => undefined);
    throw new EngineError('INTERNAL', `network ${net.Name}: no address assigned`);
  }
  const { ip, prefixLen } = splitAddress(ipEntry.address);
  const iface = result.interfaces?.find((i) => i.sandbox && i.name === o.ifname);
  return {
    networkId: net.Id,
    endpointId: randomBytes(32).toString('hex'),
    ifname: o.ifname,
    ip,
    prefixLen,
    gateway: ipEntry.gateway ?? net.IPAM.Config[0]?.Gateway ?? '',
    mac: iface?.mac ?? '',
    aliases: o.aliases,
    conf,
    result,
    capabilityArgs,
  };
}

/**
 * CNI DEL of an endpoint (releases its address, veth, NAT and firewall rules). `netnsGone`: the
 * namespace was deleted first, which took the veth pair with it, so the bridge plugin (whose
 * DEL would only remove the veth and call its IPAM plugin) is replaced by its IPAM plugin: one
 * plugin run instead of two, per container stop.
 */
export async function delEndpoint(
  cni: Cni,
  ep: EndpointState,
  containerId: string,
  netnsPath: string,
  opts: { netnsGone?: boolean } = {},
): Promise<void> {
  let conf = ep.conf;
  if (opts.netnsGone) {
    const plugins = conf.plugins.map((p) =>
      // An IPAM plugin reads the network's whole configuration (its `ipam` key), as the
      // bridge plugin hands it over.
      p.type === 'bridge' && isPlugin(p.ipam) ? { ...p, type: p.ipam.type } : p,
    );
    conf = { ...conf, plugins };
  }
  await cni.del(
    conf,
    { containerId, netns: opts.netnsGone ? '' : netnsPath, ifname: ep.ifname, capabilityArgs: ep.capabilityArgs },
    ep.result,
  );
}

const isPlugin = (v: unknown): v is PluginConf =>
  typeof v === 'object' && v !== null && typeof (v as PluginConf).type === 'string';
