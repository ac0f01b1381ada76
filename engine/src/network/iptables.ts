import { run } from './exec.js';

/**
 * CNI's portmap and firewall plugins remove their per-container rules on DEL but keep their
 * top-level chains and the jumps into them. When berthd has no endpoints left it removes those
 * too — only while they are empty, so another CNI user on the host keeps working.
 */
const NAT_JUMPS: [string, string[]][] = [
  ['PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']],
  ['OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']],
  ['POSTROUTING', ['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']],
];

async function rules(table: string, chain: string): Promise<string[] | undefined> {
  try {
    return (await run('iptables', ['-w', '-t', table, '-S', chain])).split('\n').filter((l) => l.startsWith('-A '));
  } catch {
    return undefined; // no such chain
  }
}

export async function cleanupCniChains(): Promise<void> {
  const dnat = await rules('nat', 'CNI-HOSTPORT-DNAT');
  if (dnat && dnat.length === 0) {
    for (const [chain, spec] of NAT_JUMPS)
      await run('iptables', ['-w', '-t', 'nat', '-D', chain, ...spec]).catch(() => undefined);
    for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) {
      await run('iptables', ['-w', '-t', 'nat', '-F', chain]).catch(() => undefined);
      await run('iptables', ['-w', '-t', 'nat', '-X', chain]).catch(() => undefined);
    }
  }
  const fwd = await rules('filter', 'CNI-FORWARD');
  const admin = await rules('filter', 'CNI-ADMIN');
  const onlyAdminJump = fwd?.every((r) => r.includes('-j CNI-ADMIN'));
  if (fwd && onlyAdminJump && (admin?.length ?? 0) === 0) {
    await run('iptables', [
      '-w',
      '-D',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      'CNI firewall plugin rules',
      '-j',
      'CNI-FORWARD',
    ]).catch(() => undefined);
    await run('iptables', ['-w', '-F', 'CNI-FORWARD']).catch(() => undefined);
    await run('iptables', ['-w', '-X', 'CNI-FORWARD']).catch(() => undefined);
    await run('iptables', ['-w', '-X', 'CNI-ADMIN']).catch(() => undefined);
  }
}
