/**
 * The /etc/hosts, /etc/resolv.conf and /etc/hostname a container sees, built as libnetwork
 * builds them (etchosts, resolvconf): same lines, same order, same filtering.
 */

const DEFAULT_HOSTS = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
] as const;

export interface HostsOptions {
  hostname: string;
  domainname?: string;
  /** The container's address on its first network ('' or undefined: none, e.g. --network none). */
  ip?: string;
  /** Its addresses on all its networks, one line each (as moby since v25); overrides `ip`. */
  ips?: string[];
  /** `--add-host name:ip` entries (HostConfig.ExtraHosts). */
  extraHosts?: string[];
  /** What `host-gateway` in --add-host stands for. */
  hostGatewayIp?: string;
}

/** Docker's hosts file: loopback lines, --add-host lines, then the container's own record. */
export function buildHosts(o: HostsOptions): string {
  const lines = DEFAULT_HOSTS.map(([ip, names]) => `${ip}\t${names}`);
  for (const entry of o.extraHosts ?? []) {
    // `name:ip`; the ip may itself contain colons (IPv6), so split at the first one.
    const i = entry.indexOf(':');
    if (i <= 0) continue;
    const name = entry.slice(0, i);
    let ip = entry.slice(i + 1);
    if (ip === 'host-gateway' && o.hostGatewayIp) ip = o.hostGatewayIp;
    lines.push(`${ip}\t${name}`);
  }
  for (const ip of o.ips ?? (o.ip ? [o.ip] : [])) lines.push(hostsRecord(ip, o.hostname, o.domainname));
  return `${lines.join('\n')}\n`;
}

/** The container's own line for one of its addresses: `ip fqdn short` (libnetwork's updateHostsFile). */
export function hostsRecord(ip: string, hostname: string, domainname?: string): string {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf('.');
  return `${ip}\t${dot > 0 ? `${fqdn} ${fqdn.slice(0, dot)}` : fqdn}`;
}

/** Append a record to a hosts file's text (network connect). */
export function addHostsRecord(text: string, record: string): string {
  return `${text.replace(/\n*$/, '\n')}${record}\n`;
}

/** Drop the lines for one address (network disconnect), leaving everything else as it was. */
export function removeHostsAddress(text: string, ip: string): string {
  return text
    .split('\n')
    .filter((l) => l.split(/\s+/)[0] !== ip)
    .join('\n');
}

export function buildHostname(hostname: string): string {
  return `${hostname}\n`;
}

export interface ParsedResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

const isLoopback = (ns: string) => ns.startsWith('127.') || ns === '::1' || ns === '0:0:0:0:0:0:0:1';
const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

/** libnetwork's FilterResolvDNS: drop loopback (and, without IPv6, IPv6) servers; fall back to Google's. */
export function filterResolvDns(text: string, ipv6 = false): string {
  let kept = 0;
  const lines = text.split('\n').filter((raw) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(raw);
    if (!m) return true;
    const ns = m[1]!;
    if (isLoopback(ns) || (!ipv6 && ns.includes(':'))) return false;
    kept++;
    return true;
  });
  let out = lines.join('\n');
  if (kept === 0) out = `${out.replace(/\n*$/, '\n')}${DEFAULT_DNS.map((d) => `nameserver ${d}`).join('\n')}\n`;
  return out.startsWith('\n') ? out.slice(1) : out;
}

export interface ResolvOptions {
  /** The host's /etc/resolv.conf text. */
  host: string;
  /** HostConfig.Dns / DnsSearch / DnsOptions. */
  dns?: string[] | null;
  dnsSearch?: string[] | null;
  dnsOptions?: string[] | null;
  /** On user-defined networks: the network's DNS server address (Docker's embedded 127.0.0.11). */
  embeddedDns?: string;
}

/**
 * The container's resolv.conf. Default bridge: the host's, loopback servers filtered, unless
 * --dns* given (then rebuilt, missing parts from the host). User networks: the embedded server
 * only, the host's search domains and options, plus `ndots:0` as libnetwork adds.
 */
export function buildResolvConf(o: ResolvOptions): string {
  const host = parseResolvConf(filterResolvDns(o.host));
  const custom = Boolean(o.dns?.length || o.dnsSearch?.length || o.dnsOptions?.length);
  if (!o.embeddedDns && !custom) return filterResolvDns(o.host);
  const nameservers = o.embeddedDns ? [o.embeddedDns] : o.dns?.length ? o.dns : host.nameservers;
  const search = o.dnsSearch?.length ? o.dnsSearch.filter((s) => s !== '.') : host.search;
  const options = o.dnsOptions?.length ? [...o.dnsOptions] : [...host.options];
  if (o.embeddedDns && !options.some((opt) => opt.startsWith('ndots:'))) options.push('ndots:0');
  const lines: string[] = [];
  if (search.length) lines.push(`search ${search.join(' ')}`);
  for (const ns of nameservers) lines.push(`nameserver ${ns}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
