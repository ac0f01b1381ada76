import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { deleteBridge } from '../network/bridge.js';
import { removeNetworkRules } from '../network/rules.js';
import type { NetworkRecord } from '../network/types.js';

const run = async (cmd: string, args: string[]) => (await promisify(execFile)(cmd, args)).stdout;

/** The alias that ties a bridge to the data root of the engine that made it. */
const ALIAS_PREFIX = 'berthd:';

/** Mark bridges as this engine's (`ip link … alias`), so an engine starting later can tell orphans. */
export async function markBridges(bridges: string[], dataRoot: string): Promise<void> {
  for (const br of bridges) {
    if (existsSync(`/sys/class/net/${br}`))
      await run('ip', ['link', 'set', 'dev', br, 'alias', ALIAS_PREFIX + dataRoot]);
  }
}

/**
 * Networking stays up while berthd is down (live restore). When the data root is deleted
 * meanwhile (a test harness, an uninstall), nothing would ever take it down: its bridges keep
 * their subnets, and the address pools run out. At start, berthd removes bridges whose data
 * root is gone, the namespaces of containers still plugged into them, and their iptables rules.
 */
export async function removeOrphanBridges(log: Logger): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', '-d', 'link', 'show', 'type', 'bridge'])) as {
    ifname: string;
    ifalias?: string;
  }[];
  const orphans = links.filter(
    (l) => l.ifalias?.startsWith(ALIAS_PREFIX) && !existsSync(l.ifalias.slice(ALIAS_PREFIX.length)),
  );
  if (orphans.length === 0) return [];
  const namespaces = JSON.parse((await run('ip', ['-j', 'netns', 'list'])) || '[]') as { name: string; id?: number }[];
  const removed: string[] = [];
  for (const { ifname: br } of orphans) {
    try {
      for (const port of readdirSync(`/sys/class/net/${br}/brif`)) {
        const [veth] = JSON.parse(await run('ip', ['-j', 'link', 'show', 'dev', port])) as { link_netnsid?: number }[];
        const ns = namespaces.find((n) => n.id !== undefined && n.id === veth?.link_netnsid);
        if (ns?.name.startsWith('berth-')) await run('ip', ['netns', 'delete', ns.name]);
      }
      const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', br])) as {
        addr_info?: { local: string; prefixlen: number }[];
      }[];
      const addr = addrs[0]?.addr_info?.[0];
      if (addr) {
        // The rules name the subnet as iptables prints it: the network address.
        const subnet = `${networkAddress(addr.local, addr.prefixlen)}/${addr.prefixlen}`;
        for (const internal of [false, true]) await removeNetworkRules(orphanRecord(br, subnet, internal));
      }
      await deleteBridge(br);
      removed.push(br);
    } catch (err) {
      log.warn({ err, bridge: br }, 'could not remove an orphaned bridge');
    }
  }
  if (removed.length > 0) log.info({ bridges: removed }, 'removed bridges of data roots that no longer exist');
  return removed;
}

function networkAddress(ip: string, prefixLen: number): string {
  const n = ip.split('.').reduce((acc, o) => (acc << 8) | Number(o), 0) >>> 0;
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  const net = (n & mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

/** Just enough of a network record for its rules to be found and removed. */
function orphanRecord(bridge: string, subnet: string, internal: boolean): NetworkRecord {
  return {
    Name: bridge,
    Id: '',
    Created: '',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: '' }] },
    Internal: internal,
    Attachable: false,
    Options: {},
    Labels: {},
    bridge,
  };
}
