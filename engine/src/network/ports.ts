import { EngineError } from '../errors.js';
import type { HostConfig } from '../types/docker.js';
import { openTcpProxy, openUdpProxy, type PortProxy } from './proxy.js';
import type { PortMapping } from './types.js';

/**
 * Published ports (`-p`, `-P`): which host ports a container asks for, reserving them, and the
 * NetworkSettings.Ports shape `docker port` and `docker inspect` read.
 */

export interface PortRequest {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** [0, 0]: any free port (the kernel's ephemeral pick). */
  hostPorts: [number, number];
}

const bad = (msg: string) => new EngineError('BAD_PARAMETER', msg);

/** `80/tcp` → [80, 'tcp'] (no protocol means tcp). */
export function parsePortKey(key: string): [number, 'tcp' | 'udp' | 'sctp'] {
  const [p = '', proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!/^\d+$/.test(p) || port < 1 || port > 65535) throw bad(`invalid port specification: "${key}"`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw bad(`invalid proto: ${proto}`);
  return [port, proto];
}

function parseHostPorts(text: string | undefined, key: string): [number, number] {
  if (!text) return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo > 65535 || hi > 65535 || hi < lo) throw bad(`invalid hostPort: ${text} (${key})`);
  return [lo, hi];
}

/**
 * The ports to publish: every PortBindings entry, and with -P (PublishAllPorts) every exposed
 * port that has no binding yet, on an ephemeral port of all addresses (as moby).
 */
export function portRequests(
  hostConfig: Pick<HostConfig, 'PortBindings' | 'PublishAllPorts'> | undefined,
  exposed: Record<string, object> | null | undefined,
): PortRequest[] {
  const out: PortRequest[] = [];
  const bindings = { ...(hostConfig?.PortBindings ?? {}) };
  if (hostConfig?.PublishAllPorts) {
    for (const key of Object.keys(exposed ?? {})) if (!bindings[key]?.length) bindings[key] = [{}];
  }
  for (const [key, list] of Object.entries(bindings)) {
    const [containerPort, protocol] = parsePortKey(key);
    for (const b of list ?? []) {
      if (protocol === 'sctp') throw new EngineError('NOT_IMPLEMENTED', 'publishing sctp ports');
      out.push({ containerPort, protocol, hostIp: b.HostIp || '0.0.0.0', hostPorts: parseHostPorts(b.HostPort, key) });
    }
  }
  return out;
}

/** Reserve every requested host port (the first free one of a range); all or nothing. */
export async function reservePorts(
  requests: PortRequest[],
): Promise<{ mappings: PortMapping[]; proxies: PortProxy[] }> {
  const proxies: PortProxy[] = [];
  const mappings: PortMapping[] = [];
  try {
    for (const r of requests) {
      const open = r.protocol === 'udp' ? openUdpProxy : openTcpProxy;
      let proxy: PortProxy | undefined;
      let lastErr: unknown;
      for (let port = r.hostPorts[0]; port <= r.hostPorts[1]; port++) {
        try {
          proxy = await open(r.hostIp, port);
          break;
        } catch (err) {
          lastErr = err;
        }
      }
      if (!proxy) throw lastErr;
      proxies.push(proxy);
      mappings.push({
        containerPort: r.containerPort,
        protocol: r.protocol,
        hostIp: r.hostIp,
        hostPort: proxy.hostPort,
      });
    }
  } catch (err) {
    await Promise.all(proxies.map((p) => p.close()));
    throw err;
  }
  return { mappings, proxies };
}

/** CNI portmap's `portMappings` capability argument. */
export function portmapArgs(
  mappings: PortMapping[],
): { hostPort: number; containerPort: number; protocol: string; hostIP?: string }[] {
  return mappings.map((m) => ({
    hostPort: m.hostPort,
    containerPort: m.containerPort,
    protocol: m.protocol,
    ...(m.hostIp === '0.0.0.0' ? {} : { hostIP: m.hostIp }),
  }));
}

/** NetworkSettings.Ports: every exposed port, null when not published. */
export function portsSetting(
  exposed: Record<string, object> | null | undefined,
  mappings: PortMapping[],
): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of Object.keys(exposed ?? {})) {
    const [port, proto] = parsePortKey(key);
    out[`${port}/${proto}`] = null;
  }
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.protocol}`;
    out[key] = [...(out[key] ?? []), { HostIp: m.hostIp, HostPort: String(m.hostPort) }];
  }
  return out;
}
