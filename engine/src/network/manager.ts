import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { deleteBridge, ensureBridge } from './bridge.js';
import { Cni } from './cni.js';
import { ContainerNetworking } from './containers.js';
import { DnsServer } from './dns.js';
import type { ChainOptions } from './endpoint.js';
import { parseResolvConf } from './files.js';
import {
  checkSubnet,
  DEFAULT_POOLS,
  firstHost,
  hostSubnets,
  overlaps,
  pickSubnet,
  subnetsOnOtherLinks,
} from './ipam.js';
import { cleanupCniChains } from './iptables.js';
import { checkFilters, matchesFilters, NetworkStore, PREDEFINED, toInspect } from './networks.js';
import { ensureNetworkRules, removeNetworkRules } from './rules.js';
import type { NetworkCreateRequest, NetworkInspect, NetworkRecord } from './types.js';

export interface NetworkManagerOptions {
  /** berthd's data root; state lives under `<root>/network`. */
  root: string;
  cniPluginDirs?: string[];
  /** The default `bridge` network: Linux bridge name and subnet (default berth0, 172.31.0.0/16 or a free pool). */
  defaultBridge?: { name?: string; subnet?: string };
  /** Pools for user networks created without --subnet. */
  pools?: string[];
  resolvConfPath?: string;
  hostsPath?: string;
  /** Port of the per-network DNS servers (53; tests may use another). */
  dnsPort?: number;
  /** Upstream resolvers for names that are not containers (default: the host's resolv.conf). */
  dnsUpstreams?: string[];
  /** iptables DNAT through CNI portmap in addition to the userland proxy (default true). */
  portmap?: boolean;
  /** CNI firewall plugin in each chain as well as berthd's per-network rules (default false). */
  firewall?: boolean;
  log?: Logger;
}

const forbidden = (msg: string) => new EngineError('FORBIDDEN', msg);
const nowRfc3339 = () => new Date().toISOString().replace('Z', '000000Z');

/**
 * Networks for berthd, Docker-compatible: the built-in `bridge`, `host` and `none`, user
 * bridge networks with their own Linux bridge and DNS server, and (through
 * `containers`) each container's namespace, endpoints, published ports and /etc files.
 */
export class NetworkManager {
  readonly store: NetworkStore;
  readonly cni: Cni;
  readonly containers: ContainerNetworking;
  readonly dir: string;
  private readonly dns = new Map<string, DnsServer>();
  private hostResolv = '';

  constructor(readonly opts: NetworkManagerOptions) {
    this.dir = join(opts.root, 'network');
    this.store = new NetworkStore(join(this.dir, 'networks'));
    this.cni = new Cni(opts.cniPluginDirs);
    const chain: ChainOptions = {
      ipamDir: join(this.dir, 'ipam'),
      firewall: opts.firewall ?? false,
      portmap: opts.portmap ?? true,
    };
    this.containers = new ContainerNetworking(this, chain);
  }

  get resolvConf(): string {
    return this.hostResolv;
  }

  /** Load state, create the built-in networks, bring bridges and DNS servers up, restore containers. */
  async init(): Promise<void> {
    await mkdir(join(this.dir, 'networks'), { recursive: true });
    this.hostResolv = await readFile(this.opts.resolvConfPath ?? '/etc/resolv.conf', 'utf8').catch(() => '');
    await this.store.load();
    await this.ensureBuiltins();
    for (const net of this.store.all()) {
      if (net.Driver !== 'bridge' || !net.bridge) continue;
      const cfg = net.IPAM.Config[0]!;
      await ensureBridge(net.bridge, `${cfg.Gateway}/${cfg.Subnet.split('/')[1]}`, mtuOf(net));
      await ensureNetworkRules(net);
      if (net.Name !== 'bridge') await this.startDns(net);
    }
    await this.containers.restore();
  }

  /** Daemon shutdown: stop DNS servers and port proxies; container networking stays up for live restore. */
  async close(): Promise<void> {
    await this.containers.close();
    for (const d of this.dns.values()) await d.stop();
    this.dns.clear();
  }

  /**
   * Remove everything berthd put on the host for networking: user networks (which must have no
   * running containers), the default bridge, their iptables rules and DNS servers. For tests and
   * uninstalling; a daemon restart keeps them.
   */
  async uninstall(): Promise<void> {
    for (const net of this.store.all()) if (!PREDEFINED.has(net.Name)) await this.remove(net.Id);
    await this.close();
    const def = this.store.byName('bridge');
    if (def) {
      await removeNetworkRules(def);
      if (def.bridge) await deleteBridge(def.bridge);
      await this.store.delete(def.Id);
    }
    await cleanupCniChains().catch(() => undefined);
  }

  private async ensureBuiltins(): Promise<void> {
    const base = (name: string, driver: NetworkRecord['Driver']): NetworkRecord => ({
      Name: name,
      Id: randomBytes(32).toString('hex'),
      Created: nowRfc3339(),
      Scope: 'local',
      Driver: driver,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Options: {},
      Labels: {},
    });
    if (!this.store.byName('host')) await this.store.save(base('host', 'host'));
    if (!this.store.byName('none')) await this.store.save(base('none', 'null'));
    if (this.store.byName('bridge')) return;
    const bridgeName = this.opts.defaultBridge?.name ?? 'berth0';
    let subnet = this.opts.defaultBridge?.subnet;
    const avoid: string[] = [];
    while (!subnet) {
      subnet = pickSubnet(
        ['172.31.0.0/16', ...(this.opts.pools ?? DEFAULT_POOLS)],
        [...avoid, ...(await hostSubnets())],
      );
      if (!subnet) throw new EngineError('INTERNAL', 'no free subnet for the default bridge network');
      // As in create(): claim it with the bridge, and back off if another engine did too.
      const picked = checkSubnet({ Subnet: subnet });
      await ensureBridge(bridgeName, `${picked.gateway}/${picked.subnet.split('/')[1]}`);
      if ((await subnetsOnOtherLinks(bridgeName)).some((s) => overlaps(s, picked.subnet))) {
        await deleteBridge(bridgeName);
        avoid.push(picked.subnet);
        if (avoid.length > 8) throw new EngineError('INTERNAL', 'no free subnet for the default bridge network');
        subnet = undefined;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      }
    }
    const cfg = checkSubnet({ Subnet: subnet });
    const rec = base('bridge', 'bridge');
    rec.bridge = bridgeName;
    rec.IPAM.Config = [{ Subnet: cfg.subnet, Gateway: cfg.gateway }];
    rec.Options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': bridgeName,
      'com.docker.network.driver.mtu': '1500',
    };
    await this.store.save(rec);
  }

  /** `docker network create`. `avoid`: pools found taken by another engine meanwhile (see below). */
  async create(req: NetworkCreateRequest, avoid: string[] = []): Promise<{ Id: string; Warning: string }> {
    const name = req.Name?.trim();
    if (!name) throw new EngineError('BAD_PARAMETER', 'network name must not be empty');
    if (this.store.byName(name)) throw new EngineError('CONFLICT', `network with name ${name} already exists`);
    const driver = req.Driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new EngineError('BAD_PARAMETER', `plugin "${driver}" not found`);
    if (req.EnableIPv6) throw new EngineError('NOT_IMPLEMENTED', 'IPv6 networking');
    if (req.IPAM?.Driver && req.IPAM.Driver !== 'default')
      throw new EngineError('BAD_PARAMETER', `plugin "${req.IPAM.Driver}" not found`);
    const taken = this.store
      .all()
      .flatMap((n) => n.IPAM.Config.map((c) => c.Subnet))
      .filter(Boolean);
    const given = (req.IPAM?.Config ?? []).filter((c) => c.Subnet);
    if (given.length > 1) throw new EngineError('NOT_IMPLEMENTED', 'more than one subnet per network');
    let cfg: ReturnType<typeof checkSubnet>;
    if (given[0]) {
      if (given[0].Subnet?.includes(':')) throw new EngineError('NOT_IMPLEMENTED', 'IPv6 subnets');
      cfg = checkSubnet(given[0]);
      if (taken.some((t) => overlaps(t, cfg.subnet)))
        throw forbidden('Pool overlaps with other one on this address space');
    } else {
      const subnet = pickSubnet(this.opts.pools ?? DEFAULT_POOLS, [...taken, ...avoid, ...(await hostSubnets())]);
      if (!subnet) {
        throw forbidden(
          'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
        );
      }
      cfg = { subnet, gateway: firstHost(subnet) };
    }
    const id = randomBytes(32).toString('hex');
    const options = { ...(req.Options ?? {}) };
    const bridge = options['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`;
    if (bridge.length > 15)
      throw new EngineError('BAD_PARAMETER', `bridge name ${bridge} is longer than 15 characters`);
    const rec: NetworkRecord = {
      Name: name,
      Id: id,
      Created: nowRfc3339(),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: req.IPAM?.Options ?? {},
        Config: [{ Subnet: cfg.subnet, Gateway: cfg.gateway, ...(cfg.ipRange ? { IPRange: cfg.ipRange } : {}) }],
      },
      Internal: Boolean(req.Internal),
      Attachable: Boolean(req.Attachable),
      Options: options,
      Labels: { ...(req.Labels ?? {}) },
      bridge,
      userSubnet: Boolean(given[0]),
    };
    await ensureBridge(bridge, `${cfg.gateway}/${cfg.subnet.split('/')[1]}`, mtuOf(rec));
    if (!given[0] && (await subnetsOnOtherLinks(bridge)).some((s) => overlaps(s, cfg.subnet))) {
      // Another engine took the same pool between our look and our bridge: leave it to them.
      await deleteBridge(bridge);
      if (avoid.length >= 8) throw forbidden(`could not claim an address pool: ${cfg.subnet} was taken meanwhile`);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80)); // both may back off: not in step
      return this.create(req, [...avoid, cfg.subnet]);
    }
    try {
      await ensureNetworkRules(rec);
      await this.store.save(rec);
      await this.startDns(rec);
    } catch (err) {
      await this.store.delete(id);
      await removeNetworkRules(rec).catch(() => undefined);
      await deleteBridge(bridge).catch(() => undefined);
      throw err;
    }
    return { Id: id, Warning: '' };
  }

  find(idOrName: string): NetworkRecord {
    return this.store.find(idOrName);
  }

  inspect(idOrName: string): NetworkInspect {
    const rec = this.store.find(idOrName);
    return toInspect(rec, this.containers.endpointsOn(rec.Id));
  }

  /** `docker network ls` (Containers is left empty, as the list endpoint does). */
  list(filters: Record<string, string[]> = {}): NetworkInspect[] {
    checkFilters(filters);
    return this.store
      .all()
      .filter((n) => matchesFilters(n, filters, Object.keys(this.containers.endpointsOn(n.Id)).length > 0))
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((n) => toInspect(n, {}));
  }

  /** `docker network rm`: refused for built-ins and networks with running endpoints. */
  async remove(idOrName: string): Promise<void> {
    const rec = this.store.find(idOrName);
    if (PREDEFINED.has(rec.Name)) throw forbidden(`${rec.Name} is a pre-defined network and cannot be removed`);
    if (Object.keys(this.containers.endpointsOn(rec.Id)).length > 0) {
      throw forbidden(`error while removing network: network ${rec.Name} id ${rec.Id} has active endpoints`);
    }
    await this.dns.get(rec.Id)?.stop();
    this.dns.delete(rec.Id);
    await removeNetworkRules(rec);
    if (rec.bridge) await deleteBridge(rec.bridge);
    await rm(join(this.dir, 'ipam', `berth-${rec.Id.slice(0, 12)}`), { recursive: true, force: true });
    await this.store.delete(rec.Id);
    if (!this.containers.anyLive()) await cleanupCniChains().catch(() => undefined);
  }

  /** `docker network prune` (filters: label, label!, until). */
  async prune(filters: Record<string, string[]> = {}): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    const until = filters.until?.[0] ? Date.parse(filters.until[0]) || Number(filters.until[0]) * 1000 : undefined;
    for (const rec of this.store.all()) {
      if (PREDEFINED.has(rec.Name) || Object.keys(this.containers.endpointsOn(rec.Id)).length > 0) continue;
      if (filters.label && !matchesFilters(rec, { label: filters.label }, false)) continue;
      if (filters['label!']?.some((l) => matchesFilters(rec, { label: [l] }, false))) continue;
      if (until !== undefined && Date.parse(rec.Created) > until) continue;
      await this.remove(rec.Id);
      deleted.push(rec.Name);
    }
    return { NetworksDeleted: deleted };
  }

  /** Gateway of the default bridge (what `--add-host x:host-gateway` means). */
  hostGatewayIp(): string | undefined {
    return this.store.byName('bridge')?.IPAM.Config[0]?.Gateway;
  }

  /** The DNS server address of a user network (its gateway), when it runs. */
  dnsAddress(networkId: string): string | undefined {
    return this.dns.get(networkId)?.address;
  }

  upstreams(): string[] {
    return this.opts.dnsUpstreams ?? parseResolvConf(this.hostResolv).nameservers;
  }

  private async startDns(net: NetworkRecord): Promise<void> {
    const cfg = net.IPAM.Config[0];
    if (!cfg || this.dns.has(net.Id)) return;
    const server = new DnsServer({
      address: cfg.Gateway,
      port: this.opts.dnsPort ?? 53,
      resolver: this.containers.resolverFor(net),
    });
    try {
      await server.start();
      this.dns.set(net.Id, server);
    } catch (err) {
      // Containers still get addresses; only name resolution is missing. Say so, don't fail.
      this.opts.log?.warn({ err, network: net.Name }, 'network DNS server could not start');
    }
  }
}

function mtuOf(net: NetworkRecord): number | undefined {
  const mtu = Number(net.Options['com.docker.network.driver.mtu'] ?? 0);
  return mtu > 0 ? mtu : undefined;
}
