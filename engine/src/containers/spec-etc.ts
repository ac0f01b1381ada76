import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { writeFileAtomic } from '../metadata/atomic.js';
import type { EtcFiles } from './spec-mounts.js';

/**
 * The three files dockerd writes per container and bind-mounts over the image's:
 * /etc/hostname, /etc/hosts (libnetwork/etchosts) and /etc/resolv.conf (libnetwork/resolvconf,
 * the host's with loopback nameservers removed, as they cannot be reached from a network
 * namespace).
 */

export interface EtcFileOptions {
  hostname: string;
  domainname?: string;
  /** The container's addresses on its networks, each mapped to its hostname in /etc/hosts. */
  addresses?: string[];
  /** `--add-host name:ip` entries. */
  extraHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** With `host` networking the host's resolv.conf is used as it is. */
  networkMode?: string;
  /** Host resolv.conf to start from (default /etc/resolv.conf). */
  hostResolvConf?: string;
}

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** libnetwork's fallback when the host has only loopback resolvers. */
const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export async function writeEtcFiles(containerDir: string, opts: EtcFileOptions): Promise<EtcFiles> {
  const files: EtcFiles = {
    hostname: join(containerDir, 'hostname'),
    hosts: join(containerDir, 'hosts'),
    resolvConf: join(containerDir, 'resolv.conf'),
  };
  await writeFileAtomic(files.hostname, `${opts.hostname}\n`, 0o644);
  await writeFileAtomic(files.hosts, hostsContent(opts), 0o644);
  await writeFileAtomic(files.resolvConf, await resolvConfContent(opts), 0o644);
  return files;
}

export function hostsContent(opts: EtcFileOptions): string {
  const lines = [...DEFAULT_HOSTS];
  for (const entry of opts.extraHosts ?? []) {
    // name:ip, where ip may itself contain colons (IPv6); docker also accepts name=ip.
    const sep = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':');
    if (sep <= 0) throw new EngineError('BAD_PARAMETER', `invalid argument "${entry}" for "--add-host" flag`);
    const name = entry.slice(0, sep);
    const ip = entry.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    lines.push(`${ip}\t${name}`);
  }
  const names = opts.domainname ? `${opts.hostname}.${opts.domainname} ${opts.hostname}` : opts.hostname;
  for (const addr of opts.addresses ?? []) lines.push(`${addr}\t${names}`);
  return `${lines.join('\n')}\n`;
}

async function resolvConfContent(opts: EtcFileOptions): Promise<string> {
  let host = '';
  try {
    host = await readFile(opts.hostResolvConf ?? '/etc/resolv.conf', 'utf8');
  } catch {
    // No host resolv.conf: the defaults below apply.
  }
  if (opts.networkMode === 'host' && !opts.dns?.length && !opts.dnsSearch?.length && !opts.dnsOptions?.length)
    return host;
  const hostLines = host.split('\n');
  const field = (name: string) =>
    hostLines
      .map((l) => l.trim())
      .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\t`))
      .map((l) => l.slice(name.length).trim());
  let nameservers = opts.dns?.length ? opts.dns : field('nameserver').filter((ns) => !isLoopback(ns));
  if (nameservers.length === 0) nameservers = DEFAULT_NAMESERVERS;
  const search = opts.dnsSearch?.length ? opts.dnsSearch : field('search').flatMap((s) => s.split(/\s+/));
  const options = opts.dnsOptions?.length ? opts.dnsOptions : field('options').flatMap((s) => s.split(/\s+/));
  const out = nameservers.map((ns) => `nameserver ${ns}`);
  // `--dns-search .` means "no search domains".
  const searchDomains = search.filter((s) => s !== '' && s !== '.');
  if (searchDomains.length > 0) out.push(`search ${searchDomains.join(' ')}`);
  if (options.length > 0) out.push(`options ${options.join(' ')}`);
  return `${out.join('\n')}\n`;
}

function isLoopback(ns: string): boolean {
  return ns.startsWith('127.') || ns === '::1' || ns === '0:0:0:0:0:0:0:1';
}
