import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';
import { fileMounts, updateContainerFiles, writeContainerFiles } from './container-files.js';
import type { DnsResolver } from './dns.js';
import { addEndpoint, type ChainOptions, delEndpoint } from './endpoint.js';
import { checkEndpoint, endpointAliases, resolveNetworks } from './endpoint-config.js';
import type { NetworkManager } from './manager.js';
import { hasNames, networkResolver } from './names.js';
import { createNetns, deleteNetns, loopbackUp, netnsName, netnsPath } from './netns.js';
import { portRequests, reservePorts } from './ports.js';
import type { PortProxy } from './proxy.js';
import { buildNetworkSettings, type NetworkSettings } from './settings.js';
import type {
  ContainerNetState,
  ContainerNetworkConfig,
  ContainerNetworkStart,
  EndpointConfig,
  FileMount,
  NetworkInspect,
  NetworkRecord,
} from './types.js';

const forbidden = (msg: string) => new EngineError('FORBIDDEN', msg);

/**
 * Each container's side of networking: which networks it is on (kept from create to rm), and
 * while it runs its namespace, CNI endpoints, published ports and /etc files.
 */
export class ContainerNetworking {
  private readonly states = new Map<string, ContainerNetState>();
  private readonly proxies = new Map<string, PortProxy[]>();
  /** Endpoints being brought up (begin()'s `ready`), by container. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly dir: string;

  constructor(
    private readonly mgr: NetworkManager,
    private readonly chain: ChainOptions,
  ) {
    this.dir = join(mgr.dir, 'containers');
  }

  /** After a daemon restart: reload states, re-open port proxies of containers whose namespace is still there. */
  async restore(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const f of await readdir(this.dir)) {
      const st = await readJson<ContainerNetState>(join(this.dir, f));
      if (!st) continue;
      this.states.set(st.id, st);
      const live = st.live;
      if (!live) continue;
      if (live.netnsName && live.netnsPath && !existsSync(live.netnsPath)) {
        await this.stop(st.id).catch((err) => this.mgr.opts.log?.warn({ err, id: st.id }, 'stale network state'));
        continue;
      }
      const first = Object.values(live.endpoints)[0];
      if (live.ports.length > 0 && first) {
        const reqs = live.ports.map((p) => ({ ...p, hostPorts: [p.hostPort, p.hostPort] as [number, number] }));
        const { proxies } = await reservePorts(reqs).catch(() => ({ proxies: [] as PortProxy[] }));
        for (const [i, p] of proxies.entries()) p.setTarget(first.ip, live.ports[i]!.containerPort);
        this.proxies.set(st.id, proxies);
      }
    }
  }

  async close(): Promise<void> {
    for (const list of this.proxies.values()) await Promise.all(list.map((p) => p.close()));
    this.proxies.clear();
  }

  private get(id: string): ContainerNetState {
    const st = this.states.get(id);
    if (!st) throw new EngineError('NO_SUCH_CONTAINER', id);
    return st;
  }

  private async save(st: ContainerNetState): Promise<void> {
    this.states.set(st.id, st);
    await writeJsonAtomic(join(this.dir, `${st.id}.json`), st);
  }

  /** At container create: resolve its network mode and endpoint settings (Docker's checks and errors). */
  async create(id: string, config: ContainerNetworkConfig): Promise<void> {
    const { mode, networks } = resolveNetworks(config, (ref) => this.mgr.find(ref));
    if (mode.startsWith('container:')) {
      const target = mode.slice('container:'.length);
      if (!this.states.has(target)) throw new EngineError('NO_SUCH_CONTAINER', target);
    }
    await mkdir(this.dir, { recursive: true });
    await this.save({ id, config: { ...config, networkMode: mode }, networks });
  }

  /** start() in one step: resolves once the container's networking is fully up. */
  async start(id: string, opts: { filesDir: string }): Promise<ContainerNetworkStart> {
    const begun = await this.begin(id, opts);
    try {
      await begun.ready;
    } catch (err) {
      await this.stop(id).catch(() => undefined);
      throw err;
    }
    return { netnsPath: begun.netnsPath, mounts: begun.mounts };
  }

  /**
   * Before the task is created, in two steps. At once: the namespace, the published ports and
   * the /etc files (hosts without the container's addresses yet), which is all `runc create`
   * needs. In `ready`, meanwhile: loopback, one CNI endpoint per network (the first is eth0
   * and carries the ports), then hosts rewritten in place with the addresses — awaited before
   * the task starts, so its process never sees a namespace half set up. On failure the caller
   * calls stop(), which waits for `ready` to settle first.
   */
  async begin(id: string, opts: { filesDir: string }): Promise<ContainerNetworkStart & { ready: Promise<void> }> {
    const st = this.get(id);
    const pending = this.starting.get(id) ?? Promise.resolve();
    if (st.live) {
      const mounts = fileMounts(st.live.filesDir ?? opts.filesDir);
      return { netnsPath: st.live.netnsPath, mounts, ready: pending };
    }
    const mode = st.config.networkMode ?? 'bridge';
    if (mode.startsWith('container:')) {
      const target = this.states.get(mode.slice('container:'.length));
      if (!target?.live)
        throw new EngineError('CONFLICT', `cannot join network of a non running container: ${mode.slice(10)}`);
      st.live = { netnsPath: target.live.netnsPath, endpoints: {}, ports: [], filesDir: target.live.filesDir };
      await this.save(st);
      const mounts = fileMounts(target.live.filesDir ?? opts.filesDir);
      // The target's own start may still be bringing its endpoints up.
      return { netnsPath: target.live.netnsPath, mounts, ready: this.starting.get(target.id) ?? Promise.resolve() };
    }
    const nets = Object.keys(st.networks).map((n) => this.mgr.find(n));
    const hostMode = nets[0]?.Driver === 'host';
    const fileInput = {
      config: st.config,
      hostMode,
      hostGatewayIp: this.mgr.hostGatewayIp(),
      hostResolvConf: this.mgr.resolvConf,
      hostHostsPath: this.mgr.opts.hostsPath ?? '/etc/hosts',
    };
    await mkdir(opts.filesDir, { recursive: true });
    if (hostMode) {
      st.live = { netnsPath: null, endpoints: {}, ports: [], filesDir: opts.filesDir };
      await this.save(st);
      return { netnsPath: null, mounts: await writeContainerFiles(opts.filesDir, fileInput), ready: pending };
    }
    const name = netnsName(id);
    const bridged = nets.filter((n) => n.Driver === 'bridge');
    st.live = { netnsName: name, netnsPath: netnsPath(name), endpoints: {}, ports: [], filesDir: opts.filesDir };
    const live = st.live;
    let mounts: FileMount[];
    try {
      // The namespace (a spawn), the ports and the files are independent of each other; all
      // settle before a failure is handled, so that stop() finds whatever was made.
      const [ns, ports, files] = await Promise.allSettled([
        createNetns(name),
        bridged.length > 0 ? this.reserve(st) : undefined,
        writeContainerFiles(opts.filesDir, { ...fileInput, embeddedDns: this.embeddedDns(st, bridged) }),
      ]);
      for (const r of [ns, ports, files]) if (r.status === 'rejected') throw r.reason;
      mounts = (files as PromiseFulfilledResult<FileMount[]>).value;
    } catch (err) {
      await this.stop(id).catch(() => undefined);
      throw err;
    }
    const ready = (async () => {
      // Loopback and the bridge endpoints are independent: set them up side by side.
      const done = await Promise.allSettled([loopbackUp(name), this.attachBridged(st, bridged)]);
      for (const r of done) if (r.status === 'rejected') throw r.reason;
      const ips = Object.values(live.endpoints).map((ep) => ep.ip);
      await writeContainerFiles(opts.filesDir, { ...fileInput, ips, embeddedDns: this.embeddedDns(st) });
      await this.save(st);
    })();
    this.starting.set(id, ready);
    const forget = () => {
      if (this.starting.get(id) === ready) this.starting.delete(id);
    };
    ready.then(forget, forget);
    return { netnsPath: live.netnsPath, mounts, ready };
  }

  /** Hold the published ports (the kernel picks ephemeral ones) before any endpoint exists. */
  private async reserve(st: ContainerNetState): Promise<void> {
    const { mappings, proxies } = await reservePorts(portRequests(st.config.hostConfig, st.config.exposedPorts));
    this.proxies.set(st.id, proxies);
    if (st.live) st.live.ports = mappings;
  }

  /** One endpoint per network (eth0 first, carrying the ports reserved in begin()). */
  private async attachBridged(st: ContainerNetState, bridged: NetworkRecord[]): Promise<void> {
    const live = st.live;
    if (!live?.netnsPath || bridged.length === 0) return;
    const mappings = live.ports;
    const proxies = this.proxies.get(st.id) ?? [];
    for (const [i, net] of bridged.entries()) {
      const cfg = st.networks[net.Id] ?? {};
      const ep = await addEndpoint(
        this.mgr.cni,
        net,
        {
          containerId: st.id,
          netnsPath: live.netnsPath,
          ifname: `eth${i}`,
          ipv4: cfg.IPAMConfig?.IPv4Address,
          aliases: endpointAliases(net, cfg, st.id),
          ports: i === 0 ? mappings : [],
        },
        this.chain,
      );
      live.endpoints[net.Id] = ep;
      if (i === 0) for (const [j, p] of proxies.entries()) p.setTarget(ep.ip, mappings[j]!.containerPort);
    }
  }

  /**
   * The DNS server a container asks: its first user network's (as Docker's embedded resolver
   * starts with the first endpoint that needs one); none on the default bridge alone. `nets`:
   * the networks it is about to join, before its endpoints exist.
   */
  private embeddedDns(st: ContainerNetState, nets?: NetworkRecord[]): string | undefined {
    for (const netId of nets?.map((n) => n.Id) ?? Object.keys(st.live?.endpoints ?? {})) {
      const dns = hasNames(this.mgr.store.tryFind(netId)) ? this.mgr.dnsAddress(netId) : undefined;
      if (dns) return dns;
    }
    return undefined;
  }

  /** hosts and resolv.conf of a running container after it joined or left a network. */
  private async refreshFiles(st: ContainerNetState, change: { added?: string; removed?: string }): Promise<void> {
    const dir = st.live?.filesDir;
    if (!dir || !st.live?.netnsName) return;
    await updateContainerFiles(dir, {
      ...change,
      config: st.config,
      hostResolvConf: this.mgr.resolvConf,
      embeddedDns: this.embeddedDns(st),
    }).catch((err) => this.mgr.opts.log?.warn({ err, id: st.id }, 'updating /etc/hosts and resolv.conf'));
  }

  /** After the task exited (or on a failed start): release ports, endpoints and the namespace. Idempotent. */
  async stop(id: string): Promise<void> {
    await this.starting.get(id)?.catch(() => undefined);
    const st = this.states.get(id);
    const live = st?.live;
    if (!st || !live) return;
    const proxies = this.proxies.get(id) ?? [];
    this.proxies.delete(id);
    await Promise.all(proxies.map((p) => p.close()));
    let firstErr: unknown;
    if (live.netnsName && live.netnsPath) {
      // The namespace first: its veths go with it, so each endpoint only releases its address
      // (and NAT rules), and the endpoints can do that side by side.
      const gone = await deleteNetns(live.netnsName).then(
        () => true,
        (err) => {
          firstErr ??= err;
          return false;
        },
      );
      const netns = live.netnsPath;
      await Promise.all(
        Object.values(live.endpoints).map((ep) =>
          delEndpoint(this.mgr.cni, ep, id, netns, { netnsGone: gone }).catch((err) => {
            firstErr ??= err;
          }),
        ),
      );
    }
    st.live = undefined;
    await this.save(st);
    if (firstErr) this.mgr.opts.log?.warn({ err: firstErr, id }, 'network teardown incomplete');
  }

  /** At container removal: tear down and forget. */
  async remove(id: string): Promise<void> {
    await this.stop(id);
    this.states.delete(id);
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  async rename(id: string, name: string): Promise<void> {
    const st = this.get(id);
    st.config = { ...st.config, name };
    await this.save(st);
  }

  /** `docker network connect`: recorded for a stopped container, attached at once to a running one. */
  async connect(netRef: string, id: string, cfg: EndpointConfig = {}): Promise<void> {
    await this.starting.get(id)?.catch(() => undefined); // its own endpoints first (eth0, eth1…)
    const net = this.mgr.find(netRef);
    const st = this.get(id);
    const mode = st.config.networkMode ?? 'bridge';
    const current = Object.keys(st.networks).map((n) => this.mgr.store.tryFind(n));
    if (mode.startsWith('container:')) {
      throw forbidden(
        'container sharing network namespace with another container or host cannot be connected to any other network',
      );
    }
    if (net.Driver !== 'bridge' || current.some((n) => n && n.Driver !== 'bridge')) {
      throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    }
    if (st.networks[net.Id])
      throw forbidden(`endpoint with name ${st.config.name} already exists in network ${net.Name}`);
    checkEndpoint(net, cfg);
    st.networks[net.Id] = cfg;
    const live = st.live;
    if (live?.netnsPath) {
      const used = new Set(Object.values(live.endpoints).map((e) => e.ifname));
      let n = 0;
      while (used.has(`eth${n}`)) n++;
      try {
        live.endpoints[net.Id] = await addEndpoint(
          this.mgr.cni,
          net,
          {
            containerId: id,
            netnsPath: live.netnsPath,
            ifname: `eth${n}`,
            ipv4: cfg.IPAMConfig?.IPv4Address,
            aliases: endpointAliases(net, cfg, id),
            ports: [],
          },
          this.chain,
        );
      } catch (err) {
        delete st.networks[net.Id];
        throw err;
      }
      await this.refreshFiles(st, { added: live.endpoints[net.Id]?.ip });
    }
    await this.save(st);
  }

  /** `docker network disconnect`. */
  async disconnect(netRef: string, id: string): Promise<void> {
    await this.starting.get(id)?.catch(() => undefined);
    const net = this.mgr.find(netRef);
    const st = this.get(id);
    if (!st.networks[net.Id]) throw forbidden(`container ${id} is not connected to network ${net.Name}`);
    if (net.Driver !== 'bridge')
      throw forbidden('container cannot be disconnected from host network or connected to host network');
    const ep = st.live?.endpoints[net.Id];
    if (st.live && ep && st.live.netnsPath) {
      // Published ports live on the first endpoint; they go with it.
      if (Object.keys(st.live.endpoints)[0] === net.Id) {
        await Promise.all((this.proxies.get(id) ?? []).map((p) => p.close()));
        this.proxies.delete(id);
        st.live.ports = [];
      }
      await delEndpoint(this.mgr.cni, ep, id, st.live.netnsPath);
      delete st.live.endpoints[net.Id];
      await this.refreshFiles(st, { removed: ep.ip });
    }
    delete st.networks[net.Id];
    await this.save(st);
  }

  settings(id: string): NetworkSettings {
    return buildNetworkSettings(this.get(id), (n) => this.mgr.store.tryFind(n));
  }

  /** The namespace path of a running container (null: host), undefined when not running. */
  netnsPath(id: string): string | null | undefined {
    return this.states.get(id)?.live?.netnsPath;
  }

  anyLive(): boolean {
    return [...this.states.values()].some((s) => s.live && Object.keys(s.live.endpoints).length > 0);
  }

  /** network inspect's Containers map. */
  endpointsOn(networkId: string): NetworkInspect['Containers'] {
    const out: NetworkInspect['Containers'] = {};
    for (const st of this.states.values()) {
      const ep = st.live?.endpoints[networkId];
      if (!ep) continue;
      out[st.id] = {
        Name: st.config.name,
        EndpointID: ep.endpointId,
        MacAddress: ep.mac,
        IPv4Address: `${ep.ip}/${ep.prefixLen}`,
        IPv6Address: '',
      };
    }
    return out;
  }

  /** The DNS view of one network's server (see names.ts). */
  resolverFor(net: NetworkRecord): DnsResolver {
    return networkResolver(net, {
      states: () => this.states.values(),
      network: (id) => this.mgr.store.tryFind(id),
      upstreams: (client) => {
        const own = client?.config.hostConfig?.Dns;
        return own?.length ? own : this.mgr.upstreams();
      },
    });
  }
}
