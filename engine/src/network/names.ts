import type { DnsResolver } from './dns.js';
import type { ContainerNetState, EndpointState, NetworkRecord } from './types.js';

export interface NameTable {
  /** Every container's network state. */
  states(): Iterable<ContainerNetState>;
  network(id: string): NetworkRecord | undefined;
  /** Upstream servers for names that are not containers (the client's --dns, else the host's). */
  upstreams(client: ContainerNetState | undefined): string[];
}

/** Networks whose containers resolve each other by name: user-defined bridges (not `bridge`). */
export const hasNames = (net: NetworkRecord | undefined): net is NetworkRecord =>
  net?.Driver === 'bridge' && net.Name !== 'bridge';

/**
 * Name resolution as Docker's per-container embedded DNS does it. berthd's DNS servers are per
 * network (on its gateway), so the asker is found by its source address on that network; it
 * then sees the containers of every user network it is on, this one first, and no others:
 * names, aliases and short IDs, and `name.network` for one network in particular.
 */
export function networkResolver(net: NetworkRecord, table: NameTable): DnsResolver {
  const live = (netId: string) =>
    [...table.states()].flatMap((st) => {
      const ep = st.live?.endpoints[netId];
      return ep ? [{ st, ep }] : [];
    });
  const client = (ip: string) => live(net.Id).find(({ ep }) => ep.ip === ip)?.st;
  /**
   * The networks the asker sees, in the order they are searched. None for an asker that is not
   * on this network: a container of another network reaching this gateway address must not
   * learn the names it is isolated from.
   */
  const scope = (clientIp: string): NetworkRecord[] => {
    const asker = client(clientIp);
    if (!asker) return [];
    const others = Object.keys(asker.live?.endpoints ?? {}).filter((id) => id !== net.Id);
    return [net, ...others.map((id) => table.network(id)).filter(hasNames)];
  };
  const matches = (st: ContainerNetState, ep: EndpointState, name: string) =>
    st.id === name || [st.config.name, ...ep.aliases].some((a) => a.toLowerCase() === name);
  return {
    lookup: (name, clientIp) => {
      for (const n of scope(clientIp)) {
        const suffix = `.${n.Name.toLowerCase()}`;
        const bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
        const ips = live(n.Id)
          .filter(({ st, ep }) => matches(st, ep, bare))
          .map(({ ep }) => ep.ip);
        if (ips.length > 0) return ips;
      }
      return undefined;
    },
    reverse: (ip, clientIp) => {
      for (const n of scope(clientIp)) {
        const hit = live(n.Id).find(({ ep }) => ep.ip === ip);
        if (hit) return `${hit.st.config.name}.${n.Name.toLowerCase()}`;
      }
      return undefined;
    },
    upstreams: (clientIp) => table.upstreams(client(clientIp)),
  };
}
