import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { run } from './exec.js';

/**
 * The Linux bridge of a network, made when the network is created (as Docker does) rather than
 * on the first CNI ADD: the network's DNS server binds to the gateway address at once, and CNI's
 * bridge plugin adopts an existing bridge that already carries its gateway address.
 */
export async function ensureBridge(name: string, gatewayCidr: string, mtu?: number): Promise<void> {
  if (!existsSync(`/sys/class/net/${name}`)) {
    const mtuArgs = mtu ? ['mtu', String(mtu)] : [];
    await run('ip', ['link', 'add', 'name', name, 'address', randomMac(), ...mtuArgs, 'type', 'bridge']);
  } else if (!hasOwnMac(name)) {
    await run('ip', ['link', 'set', 'dev', name, 'address', randomMac()]);
  }
  const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name])) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const have = addrs.flatMap((a) => a.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  if (!have.includes(gatewayCidr)) await run('ip', ['addr', 'add', gatewayCidr, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
}

/**
 * A bridge without an address of its own takes the lowest of its ports' and changes it as
 * containers come and go: the containers' ARP entries for the gateway then point nowhere until
 * they expire, and DNS and routed traffic stall for seconds. Docker's bridge driver gives the
 * bridge a random address for this reason; so does berthd.
 */
function hasOwnMac(name: string): boolean {
  try {
    return readFileSync(`/sys/class/net/${name}/addr_assign_type`, 'utf8').trim() === '3'; // NET_ADDR_SET
  } catch {
    return false;
  }
}

/** A random locally administered unicast MAC address. */
function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export async function deleteBridge(name: string): Promise<void> {
  if (existsSync(`/sys/class/net/${name}`)) await run('ip', ['link', 'delete', name, 'type', 'bridge']);
}
