import ipaddr from 'ipaddr.js';
import { EngineError } from '../errors.js';
import { run } from './exec.js';

/**
 * Subnet bookkeeping for bridge networks. Addresses inside a subnet are handed out by CNI's
 * host-local IPAM; berthd only picks and checks the subnets themselves (as libnetwork's
 * default address pools do).
 */

/** Berth's pools: 172.30/16 down to 172.18/16, then 192.168.x.0/20 — dockerd starts at 172.17 going up. */
export const DEFAULT_POOLS: string[] = [
  ...Array.from({ length: 13 }, (_, i) => `172.${30 - i}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
];

export interface Subnet {
  subnet: string; // canonical network/prefix
  gateway: string;
  ipRange?: string;
}

const bad = (msg: string) => new EngineError('BAD_PARAMETER', msg);

function v4cidr(text: string, what: string): [ipaddr.IPv4, number] {
  if (!ipaddr.IPv4.isValidCIDR(text)) throw bad(`invalid ${what}: ${text}`);
  return ipaddr.IPv4.parseCIDR(text);
}

/** `10.1.2.3/16` → `10.1.0.0/16`. */
export function canonicalCidr(text: string): string {
  const [, prefix] = v4cidr(text, 'subnet');
  return `${ipaddr.IPv4.networkAddressFromCIDR(text).toString()}/${prefix}`;
}

function toInt(a: ipaddr.IPv4): number {
  return a.octets.reduce((n, o) => n * 256 + o, 0);
}

function bounds(cidr: string): [number, number] {
  return [toInt(ipaddr.IPv4.networkAddressFromCIDR(cidr)), toInt(ipaddr.IPv4.broadcastAddressFromCIDR(cidr))];
}

export function overlaps(a: string, b: string): boolean {
  const [a0, a1] = bounds(a);
  const [b0, b1] = bounds(b);
  return a0 <= b1 && b0 <= a1;
}

export function contains(cidr: string, ip: string): boolean {
  return ipaddr.IPv4.isValid(ip) && ipaddr.IPv4.parse(ip).match(ipaddr.IPv4.parseCIDR(cidr));
}

/** The first host address of a subnet (Docker's default gateway). */
export function firstHost(cidr: string): string {
  const [start] = bounds(cidr);
  return fromInt(start + 1);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * Validate a user's IPAM config entry (`--subnet`, `--gateway`, `--ip-range`) with Docker's
 * error texts, filling the gateway when absent.
 */
export function checkSubnet(cfg: { Subnet?: string; Gateway?: string; IPRange?: string }): Subnet {
  if (!cfg.Subnet) throw bad('ipam config: a subnet is required');
  const subnet = canonicalCidr(cfg.Subnet);
  const [, prefix] = v4cidr(subnet, 'subnet');
  if (prefix > 30) throw bad(`invalid subnet ${cfg.Subnet}: too small for a bridge network`);
  let gateway = cfg.Gateway ?? '';
  if (gateway) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(gateway)) throw bad(`invalid gateway address ${gateway}`);
    if (!contains(subnet, gateway)) throw bad(`no matching subnet for gateway ${gateway}`);
  } else {
    gateway = firstHost(subnet);
  }
  let ipRange: string | undefined;
  if (cfg.IPRange) {
    ipRange = canonicalCidr(cfg.IPRange);
    const [r0, r1] = bounds(ipRange);
    const [s0, s1] = bounds(subnet);
    if (r0 < s0 || r1 > s1) throw bad(`no matching subnet for range ${cfg.IPRange}`);
  }
  return { subnet, gateway, ...(ipRange ? { ipRange } : {}) };
}

/** The host's IPv4 routes and interface subnets (every table), which a new bridge must not shadow. */
export async function hostSubnets(): Promise<string[]> {
  const out: string[] = [];
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as {
    dst?: string;
    type?: string;
  }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || (r.type && r.type !== 'unicast')) continue;
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    if (ipaddr.IPv4.isValidCIDR(dst)) out.push(canonicalCidr(dst));
  }
  const links = JSON.parse(await run('ip', ['-j', '-4', 'addr'])) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  for (const l of links) {
    for (const a of l.addr_info ?? []) out.push(canonicalCidr(`${a.local}/${a.prefixlen}`));
  }
  return out;
}

/**
 * Subnets of the addresses on every link but `except`. Another engine on the host (a second
 * berthd, dockerd) may have picked the same free pool at the same moment: after making its
 * bridge, berthd looks again and backs off if someone else has the subnet too.
 */
export async function subnetsOnOtherLinks(except: string): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', '-4', 'addr'])) as {
    ifname: string;
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  return links
    .filter((l) => l.ifname !== except)
    .flatMap((l) => (l.addr_info ?? []).map((a) => canonicalCidr(`${a.local}/${a.prefixlen}`)));
}

/** The first pool that overlaps nothing in use (other networks, host routes and addresses). */
export function pickSubnet(pools: string[], used: string[]): string | undefined {
  return pools.find((p) => !used.some((u) => overlaps(p, u)));
}

/** Parse `a.b.c.d/len` from a CNI result into address and prefix length. */
export function splitAddress(cidr: string): { ip: string; prefixLen: number } {
  const [ip = '', len = '0'] = cidr.split('/');
  return { ip, prefixLen: Number(len) };
}
