import { run } from './exec.js';
import type { NetworkRecord } from './types.js';

/**
 * Per-network iptables rules, as dockerd keeps them: masquerade for the subnet, FORWARD
 * accepts for the bridge, and isolation between bridges (dockerd's DOCKER-ISOLATION-STAGE-1/2:
 * traffic that enters from one berthd bridge and leaves through another is dropped, so
 * containers reach each other only over a network they share). Made once when the network is
 * created instead of by CNI's ipMasq and firewall plugins on every container (each of which
 * runs several iptables commands per ADD and DEL). They live in berthd's own chains, so
 * removing them never touches anyone else's.
 */
const FORWARD_CHAIN = 'BERTH-FORWARD';
const ISOLATION_1 = 'BERTH-ISOLATION-STAGE-1';
const ISOLATION_2 = 'BERTH-ISOLATION-STAGE-2';
const NAT_CHAIN = 'BERTH-POSTROUTING';
const COMMENT = ['-m', 'comment', '--comment', 'berthd'];

const ipt = (args: string[]) => run('iptables', ['-w', ...args]);
const exists = (args: string[]) =>
  ipt(args).then(
    () => true,
    () => false,
  );

async function ensureChain(table: string, chain: string, parent?: string): Promise<void> {
  if (!(await exists(['-t', table, '-S', chain]))) await ipt(['-t', table, '-N', chain]).catch(racedCreate);
  if (!parent) return;
  const jump = [parent, ...COMMENT, '-j', chain];
  // First in the parent: a DROP policy or rules appended by others (dockerd) must not shadow
  // ours, and isolation comes before the accepts of BERTH-FORWARD.
  if (!(await exists(['-t', table, '-C', ...jump]))) await ipt(['-t', table, '-I', ...jump]);
}

/** Another berthd on the host may have created the chain between our check and -N. */
function racedCreate(err: unknown): void {
  if (!String(err).includes('already exists')) throw err;
}

async function ensureRule(table: string, rule: string[]): Promise<void> {
  if (!(await exists(['-t', table, '-C', ...rule]))) await ipt(['-t', table, '-A', ...rule]);
}

function rulesFor(net: NetworkRecord): { filter: string[][]; nat: string[][] } {
  const br = net.bridge!;
  const subnet = net.IPAM.Config[0]!.Subnet;
  const masquerade = !net.Internal && net.Options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false';
  const filter = [
    // Leaving this bridge for another: stage 2 drops it if the other is a berthd bridge too.
    [ISOLATION_1, '-i', br, '!', '-o', br, '-j', ISOLATION_2],
    [ISOLATION_2, '-o', br, '-j', 'DROP'],
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
  await ensureChain('filter', ISOLATION_2);
  await ensureChain('filter', ISOLATION_1, FORWARD_CHAIN);
  await ensureChain('nat', NAT_CHAIN, 'POSTROUTING');
  const { filter, nat } = rulesFor(net);
  for (const r of filter) await ensureRule('filter', r);
  for (const r of nat) await ensureRule('nat', r);
}

const hasRules = async (table: string, chain: string) => {
  const left = await ipt(['-t', table, '-S', chain]).catch(() => undefined);
  return left === undefined ? undefined : left.split('\n').some((l) => l.startsWith('-A '));
};

export async function removeNetworkRules(net: NetworkRecord): Promise<void> {
  if (net.Driver !== 'bridge' || !net.bridge || !net.IPAM.Config[0]) return;
  const { filter, nat } = rulesFor(net);
  for (const r of filter) await ipt(['-t', 'filter', '-D', ...r]).catch(() => undefined);
  for (const r of nat) await ipt(['-t', 'nat', '-D', ...r]).catch(() => undefined);
  // The chains go with the last network's rules; the isolation chains first, so that
  // BERTH-FORWARD is left empty.
  if ((await hasRules('filter', ISOLATION_1)) === false) {
    await ipt(['-t', 'filter', '-D', FORWARD_CHAIN, ...COMMENT, '-j', ISOLATION_1]).catch(() => undefined);
    await ipt(['-t', 'filter', '-X', ISOLATION_1]).catch(() => undefined);
    if ((await hasRules('filter', ISOLATION_2)) === false)
      await ipt(['-t', 'filter', '-X', ISOLATION_2]).catch(() => undefined);
  }
  for (const [table, chain, parent] of [
    ['filter', FORWARD_CHAIN, 'FORWARD'],
    ['nat', NAT_CHAIN, 'POSTROUTING'],
  ] as const) {
    if ((await hasRules(table, chain)) !== false) continue;
    await ipt(['-t', table, '-D', parent, ...COMMENT, '-j', chain]).catch(() => undefined);
    await ipt(['-t', table, '-X', chain]).catch(() => undefined);
  }
}
