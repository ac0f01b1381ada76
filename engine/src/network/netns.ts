import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

/**
 * Network namespaces that outlive any process: iproute2's `ip netns add` bind-mounts a fresh
 * namespace at /run/netns/<name>, the path the OCI spec's network namespace joins. iproute2 is
 * the standard tool for this and keeps the files where `ip netns exec` finds them.
 */
export const NETNS_DIR = '/run/netns';

export function netnsName(containerId: string): string {
  return `berth-${containerId.slice(0, 12)}`;
}

export function netnsPath(name: string): string {
  return join(NETNS_DIR, name);
}

/** Create the namespace (an existing one of the same name is reused). Returns its path. */
export async function createNetns(name: string): Promise<string> {
  const path = netnsPath(name);
  if (!existsSync(path)) await run('ip', ['netns', 'add', name]);
  return path;
}

/**
 * Bring the namespace's loopback up: what CNI's loopback plugin does, for a third of its CPU
 * (iproute2 is already what makes the namespace; the Go plugin costs a runtime start per run).
 */
export async function loopbackUp(name: string): Promise<void> {
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Remove the namespace; a missing one is fine. */
export async function deleteNetns(name: string): Promise<void> {
  if (existsSync(netnsPath(name))) await run('ip', ['netns', 'delete', name]);
}
