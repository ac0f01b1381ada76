import { run } from './exec.js';
import type { NetworkRecord } from './types.js';

/**
 * Per-network iptables rules, as dockerd keeps them: masquerade for the subnet and FORWARD
 * accepts for the bridge, made once when the network is created instead of by CNI's ipMasq and
 * firewall plugins on every container (each of which runs several iptables commands per ADD
 * and DEL). They live in berthd's own chains, so removing them never touches anyone else's.
 */
const FORWARD_CHAIN = 'BERTH-FORWARD';
const NAT_CHAIN = 'BERTH-POSTROUTING';
const COMMENT = ['-m', 'comment', '--comment', 'berthd'];

const ipt = (args: string[]) => run('iptables', ['-w', ...args]);
const exists = (args: string[]) =>
  ipt(args).then(
    () => true,
    () => false,
  );

async function ensureChain(table: string, chain: string, parent: string): Promise<void> {
  if (!(await exists(['-t', table, '-S', chain]))) await ipt(['-t', table, '-N', chain]);
  const jump = [parent, ...COMMENT, '-j', chain];
  // First in FORWARD: a DROP policy or rules appended by others (dockerd) must not shadow ours.
  if (!(await exists(['-t', table, '-C', ...jump]))) await ipt(['-t', table, '-I', ...jump]);
}

async function ensureRule(table: string, rule: string[]): Promise<void> {
  if (!(await exists(['-t', table, '-C', ...rule]))) await ipt(['-t', table, '-A', ...rule]);
}

function rulesFor(net: NetworkRecord): { filter: string[][]; nat: string[][] } {
  const br = net.bridge!;
  const subnet = net.IPAM.Config[0]!.Subnet;
  const masquerade = !net.Internal && net.Options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false';
  const filter = [
    // Replies, and connections to published ports (DNAT'ed by CNI portmap), into the bridge.
    [FORWARD_CHAIN, '-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'ACCEPT'],
    // Container to container on the same bridge.
    [FORWARD_CHAIN, '-i', br, '-o', br, '-j', 'ACCEPT'],
    // Out of the bridge: allowed, except from --internal networks.
    [FORWARD_CHAIN, '-i', br, '!', '-o', br, '-j', net.Internal ? 'DROP' : 'ACCEPT'],
  ];
  const nat = masquerade ? [[NAT_CHAIN, '-s', subnet, '!', '-o', br, '-j', 'MASQUERADE']] : [];
  return { filter, nat };
}

export async function ensureNetworkRules(net: NetworkRecord): Promise<void> {
  if (net.Driver !== 'bridge' || !net.bridge || !net.IPAM.Config[0]) return;
  await ensureChain('filter', FORWARD_CHAIN, 'FORWARD');
  await ensureChain('nat', NAT_CHAIN, 'POSTROUTING');
  const { filter, nat } = rulesFor(net);
  for (const r of filter) await ensureRule('filter', r);
  for (const r of nat) await ensureRule('nat', r);
}

export async function removeNetworkRules(net: NetworkRecord): Promise<void> {
  if (net.Driver !== 'bridge' || !net.bridge || !net.IPAM.Config[0]) return;
  const { filter, nat } = rulesFor(net);
  for (const r of filter) await ipt(['-t', 'filter', '-D', ...r]).catch(() => undefined);
  for (const r of nat) await ipt(['-t', 'nat', '-D', ...r]).catch(() => undefined);
  // The chains go with the last network's rules.
  for (const [table, chain, parent] of [
    ['filter', FORWARD_CHAIN, 'FORWARD'],
    ['nat', NAT_CHAIN, 'POSTROUTING'],
  ] as const) {
    const left = await ipt(['-t', table, '-S', chain]).catch(() => undefined);
    if (left === undefined || left.split('\n').some((l) => l.startsWith('-A '))) continue;
    await ipt(['-t', table, '-D', parent, ...COMMENT, '-j', chain]).catch(() => undefined);
    await ipt(['-t', table, '-X', chain]).catch(() => undefined);
  }
}
