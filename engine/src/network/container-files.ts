import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addHostsRecord,
  buildHostname,
  buildHosts,
  buildResolvConf,
  hostsRecord,
  removeHostsAddress,
} from './files.js';
import type { ContainerNetworkConfig, FileMount } from './types.js';

export interface FilesInput {
  config: ContainerNetworkConfig;
  /** host: the host's own files; otherwise generated. */
  hostMode: boolean;
  /** The container's addresses, first network first. */
  ips?: string[];
  /** The DNS server of its first network when that is a user-defined network. */
  embeddedDns?: string;
  hostGatewayIp?: string;
  hostResolvConf: string;
  hostHostsPath: string;
}

/** Write hosts, resolv.conf and hostname into `dir`; return the bind mounts that put them in /etc. */
export async function writeContainerFiles(dir: string, i: FilesInput): Promise<FileMount[]> {
  const hc = i.config.hostConfig ?? {};
  const hosts = i.hostMode
    ? await readFile(i.hostHostsPath, 'utf8').catch(() => buildHosts({ hostname: i.config.hostname }))
    : buildHosts({
        hostname: i.config.hostname,
        domainname: i.config.domainname,
        ips: i.ips,
        extraHosts: hc.ExtraHosts ?? [],
        hostGatewayIp: i.hostGatewayIp,
      });
  const resolv = i.hostMode
    ? i.hostResolvConf
    : buildResolvConf({
        host: i.hostResolvConf,
        dns: hc.Dns,
        dnsSearch: hc.DnsSearch,
        dnsOptions: hc.DnsOptions,
        embeddedDns: i.embeddedDns,
      });
  await writeFile(join(dir, 'hosts'), hosts, { mode: 0o644 });
  await writeFile(join(dir, 'resolv.conf'), resolv, { mode: 0o644 });
  await writeFile(join(dir, 'hostname'), buildHostname(i.config.hostname), { mode: 0o644 });
  return fileMounts(dir);
}

/**
 * A running container joined or left a network (`docker network connect/disconnect`): its own
 * line for that address is added to or removed from /etc/hosts, leaving the rest as it is, and
 * resolv.conf names the DNS server it should now ask (libnetwork's updateHostsFile,
 * deleteHostsEntries and rebuildDNS). Written in place: the files are bind-mounted by inode.
 */
export async function updateContainerFiles(
  dir: string,
  i: Omit<FilesInput, 'hostMode' | 'hostHostsPath' | 'ips'> & { added?: string; removed?: string },
): Promise<void> {
  const hostsPath = join(dir, 'hosts');
  let hosts = await readFile(hostsPath, 'utf8');
  if (i.removed) hosts = removeHostsAddress(hosts, i.removed);
  if (i.added) hosts = addHostsRecord(hosts, hostsRecord(i.added, i.config.hostname, i.config.domainname));
  await writeFile(hostsPath, hosts);
  const hc = i.config.hostConfig ?? {};
  const resolv = buildResolvConf({
    host: i.hostResolvConf,
    dns: hc.Dns,
    dnsSearch: hc.DnsSearch,
    dnsOptions: hc.DnsOptions,
    embeddedDns: i.embeddedDns,
  });
  await writeFile(join(dir, 'resolv.conf'), resolv);
}

export function fileMounts(dir: string): FileMount[] {
  return [
    ['/etc/hostname', 'hostname'],
    ['/etc/hosts', 'hosts'],
    ['/etc/resolv.conf', 'resolv.conf'],
  ].map(([destination, file]) => ({
    destination: destination!,
    type: 'bind' as const,
    source: join(dir, file!),
    options: ['rbind', 'rprivate'],
  }));
}
