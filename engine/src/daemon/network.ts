import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Json, NetworkBackend } from '../api/backend.js';
import type { EtcFiles } from '../containers/spec.js';
import type { ContainerRecord } from '../containers/types.js';
import { EngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { deleteBridge } from '../network/bridge.js';
import {
  cleanupCniChains,
  type EndpointConfig,
  type NetworkCreateRequest,
  NetworkManager,
  type NetworkSettings,
} from '../network/index.js';
import { removeNetworkRules } from '../network/rules.js';
import type { DaemonContext } from './context.js';
import { markBridges, removeOrphanBridges } from './network-gc.js';

export const DEFAULT_DATA_ROOT = '/var/lib/berth';

export interface NetworkOptions {
  /** Linux bridge of the default `bridge` network (dockerd's --bridge); see defaultBridgeName. */
  bridgeName?: string;
  /** Its subnet (dockerd's --bip, as a network); default: the first free pool. */
  bridgeSubnet?: string;
  /** Pools for user networks created without --subnet. */
  pools?: string[];
}

/**
 * berth0 for the standard data root; any other data root (tests, benchmarks, a second engine on
 * the host) gets a bridge of its own, because each engine keeps its own address leases and two
 * of them on one bridge would hand out the same addresses.
 */
export function defaultBridgeName(dataRoot: string): string {
  if (dataRoot.replace(/\/+$/, '') === DEFAULT_DATA_ROOT) return 'berth0';
  return `berth-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 8)}`;
}

/**
 * The daemon's side of networking: the `docker network` API, and each container's networks from
 * create to removal (the namespace, endpoints, published ports and /etc files of every run),
 * mirrored into the container record so `docker ps` and filters see them.
 */
export class NetworkOps {
  readonly manager: NetworkManager;

  constructor(
    private readonly ctx: DaemonContext,
    opts: NetworkOptions & { log: Logger },
  ) {
    this.manager = new NetworkManager({
      root: ctx.root,
      log: opts.log,
      defaultBridge: { name: opts.bridgeName ?? defaultBridgeName(ctx.root), subnet: opts.bridgeSubnet },
      pools: opts.pools,
    });
  }

  async init(): Promise<void> {
    await removeOrphanBridges(this.ctx.log).catch((err: unknown) => this.ctx.log.warn({ err }, 'orphan bridges'));
    await this.manager.init();
    await this.mark();
  }

  /** Tag this engine's bridges with its data root (see network-gc.ts). */
  private mark(): Promise<void> {
    const bridges = this.manager.store.all().flatMap((n) => (n.bridge ? [n.bridge] : []));
    return markBridges(bridges, resolve(this.ctx.root)).catch((err: unknown) =>
      this.ctx.log.warn({ err }, 'marking bridges'),
    );
  }

  /**
   * Daemon shutdown. Networking stays up while containers run (live restore); with none running
   * the bridges and iptables rules are taken down too (the records stay, init() brings them
   * back), so a stopped engine leaves nothing on the host.
   */
  async close(): Promise<void> {
    const live = this.ctx.containers.all().some((c) => c.state.Running);
    await this.manager.close();
    if (live) return;
    for (const net of this.manager.store.all()) {
      if (!net.bridge) continue;
      await removeNetworkRules(net).catch((err: unknown) => this.ctx.log.warn({ err }, 'network rules'));
      await deleteBridge(net.bridge).catch((err: unknown) => this.ctx.log.warn({ err }, 'bridge removal'));
    }
    await cleanupCniChains().catch(() => undefined);
  }

  /** At container create: its network mode and endpoints, checked as dockerd checks them. */
  async created(c: ContainerRecord, endpointsConfig?: Record<string, EndpointConfig> | null): Promise<void> {
    let mode = c.hostConfig.NetworkMode;
    // The network side knows containers by full ID.
    if (mode?.startsWith('container:')) mode = `container:${this.ctx.containers.get(mode.slice(10)).id}`;
    // The CLI keys the endpoint by the network mode it sent, `default` included, which is `bridge`.
    const { default: byDefault, ...named } = endpointsConfig ?? {};
    if (byDefault && (!mode || mode === 'default') && !this.manager.store.byName('default')) {
      endpointsConfig = { ...named, bridge: { ...byDefault, ...named.bridge } };
    }
    await this.manager.containers.create(c.id, {
      name: c.name,
      hostname: c.config.Hostname ?? c.id.slice(0, 12),
      domainname: c.config.Domainname,
      networkMode: mode,
      endpointsConfig,
      exposedPorts: c.config.ExposedPorts,
      hostConfig: c.hostConfig,
    });
    this.sync(c);
  }

  /**
   * Before the task is created: the namespace, published ports and the /etc files in the
   * container's directory (netnsPath null: the host's network namespace). The endpoints come
   * up in `ready`, alongside `runc create`; the task must not start before it resolves.
   */
  async start(c: ContainerRecord): Promise<{ netnsPath: string | null; etcFiles: EtcFiles; ready: Promise<void> }> {
    if (!this.known(c.id)) await this.created(c); // a container from before networking was wired in
    const net = await this.manager.containers.begin(c.id, { filesDir: this.ctx.containers.dir(c.id) });
    const source = (dest: string) => net.mounts.find((m) => m.destination === dest)?.source ?? '';
    const ready = net.ready.then(() => this.sync(c));
    ready.catch(() => undefined); // awaited by the caller; not an unhandled rejection meanwhile
    this.sync(c);
    return {
      netnsPath: net.netnsPath,
      etcFiles: {
        hostname: source('/etc/hostname'),
        hosts: source('/etc/hosts'),
        resolvConf: source('/etc/resolv.conf'),
      },
      ready,
    };
  }

  /** After the task exited or failed to start. */
  async stop(c: ContainerRecord): Promise<void> {
    await this.manager.containers.stop(c.id);
    if (this.known(c.id)) this.sync(c);
  }

  removed(c: ContainerRecord): Promise<void> {
    return this.manager.containers.remove(c.id);
  }

  async renamed(c: ContainerRecord): Promise<void> {
    if (this.known(c.id)) await this.manager.containers.rename(c.id, c.name);
  }

  /** inspect's NetworkSettings (undefined for a container the network side does not know). */
  settings(c: ContainerRecord): NetworkSettings | undefined {
    return this.known(c.id) ? this.manager.containers.settings(c.id) : undefined;
  }

  /** `--network host` or `container:…`: the stats have no network counters of their own. */
  sharesNamespace(c: ContainerRecord): boolean {
    const mode = c.hostConfig.NetworkMode ?? '';
    return mode === 'host' || mode.startsWith('container:');
  }

  private known(id: string): boolean {
    try {
      this.manager.containers.settings(id);
      return true;
    } catch {
      return false;
    }
  }

  /** The record keeps what `docker ps` shows (ports, networks); inspect asks settings(). */
  private sync(c: ContainerRecord): void {
    const s = this.manager.containers.settings(c.id);
    c.networkSettings = { SandboxKey: s.SandboxKey, Ports: s.Ports, Networks: s.Networks };
  }

  private publish(action: string, netRef: string, extra: Record<string, string> = {}): void {
    const net = this.manager.store.tryFind(netRef);
    if (!net) return;
    this.ctx.events.publish('network', action, net.Id, { name: net.Name, type: net.Driver, ...extra });
  }

  /** The `docker network` part of the Backend. */
  backend(): NetworkBackend {
    const m = this.manager;
    const containerOf = (body: Json) => {
      const ref = typeof body.Container === 'string' ? body.Container : '';
      if (!ref) throw new EngineError('BAD_PARAMETER', 'container is required');
      return this.ctx.containers.get(ref);
    };
    return {
      networkList: async (filters) => m.list(filters) as unknown as Json[],
      networkInspect: async (ref) => m.inspect(ref) as unknown as Json,
      networkCreate: async (body) => {
        const out = await m.create(body as unknown as NetworkCreateRequest);
        await this.mark();
        this.publish('create', out.Id);
        return out as unknown as Json;
      },
      networkRemove: async (ref) => {
        const net = m.find(ref);
        const attrs = { name: net.Name, type: net.Driver };
        await m.remove(net.Id);
        this.ctx.events.publish('network', 'destroy', net.Id, attrs);
      },
      networkConnect: async (ref, body) => {
        const c = containerOf(body);
        await m.containers.connect(ref, c.id, (body.EndpointConfig ?? {}) as EndpointConfig);
        this.sync(c);
        await this.ctx.containers.save(c);
        this.publish('connect', ref, { container: c.id });
      },
      networkDisconnect: async (ref, body) => {
        const c = containerOf(body);
        await m.containers.disconnect(ref, c.id);
        this.sync(c);
        await this.ctx.containers.save(c);
        this.publish('disconnect', ref, { container: c.id });
      },
      networkPrune: async (filters) => {
        const ids = new Map(m.store.all().map((n) => [n.Name, n]));
        const out = await m.prune(filters);
        for (const name of out.NetworksDeleted) {
          const net = ids.get(name);
          if (net) this.ctx.events.publish('network', 'destroy', net.Id, { name, type: net.Driver });
        }
        return out;
      },
    };
  }
}
