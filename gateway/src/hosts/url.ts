// Host endpoints: `unix:///path/to/engine.sock`, or `tcp://host:port` (always mutual TLS: an
// engine API on the network without client certificates is root for anyone who can reach it).
import { Errors } from '../errors.js';

export type HostTarget = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number };

export function parseHostUrl(url: string, tls: boolean): HostTarget {
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw Errors.BAD_INPUT('unix:// host URLs need an absolute socket path');
    if (tls) throw Errors.BAD_INPUT('a unix socket host does not use TLS');
    return { kind: 'unix', socketPath };
  }
  if (url.startsWith('tcp://')) {
    let parsed: URL;
    try {
      parsed = new URL(`https://${url.slice('tcp://'.length)}`);
    } catch {
      throw Errors.BAD_INPUT(`not a valid tcp:// URL: ${url}`);
    }
    if (!tls) throw Errors.BAD_INPUT('tcp:// hosts need mutual TLS (tls: true)');
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    return { kind: 'tcp', host, port: parsed.port ? Number(parsed.port) : 2376 };
  }
  throw Errors.BAD_INPUT('host URL must start with unix:// or tcp://');
}
