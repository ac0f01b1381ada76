import { existsSync } from 'node:fs';
import { run } from './exec.js';

/**
 * The Linux bridge of a network, made when the network is created (as Docker does) rather than
 * on the first CNI ADD: the network's DNS server binds to the gateway address at once, and CNI's
 * bridge plugin adopts an existing bridge that already carries its gateway address.
 */
export async function ensureBridge(name: string, gatewayCidr: string, mtu?: number): Promise<void> {
  if (!existsSync(`/sys/class/net/${name}`)) {
    await run('ip', ['link', 'add', 'name', name, ...(mtu ? ['mtu', String(mtu)] : []), 'type', 'bridge']);
  }
  const addrs = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name])) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const have = addrs.flatMap((a) => a.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  if (!have.includes(gatewayCidr)) await run('ip', ['addr', 'add', gatewayCidr, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
}

export async function deleteBridge(name: string): Promise<void> {
  if (existsSync(`/sys/class/net/${name}`)) await run('ip', ['link', 'delete', name, 'type', 'bridge']);
}
