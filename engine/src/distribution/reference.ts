import { isDigest } from '../content/digest.js';
import { EngineError } from '../errors.js';
import { familiarName, parseReference } from '../images/reference.js';

/** An image reference split the way a registry needs it. */
export interface RemoteReference {
  /** Registry as named in the reference: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
  /** Fully qualified repository: `docker.io/library/busybox`. */
  name: string;
  /** The short form Docker prints: `busybox`, `127.0.0.1:5000/app`. */
  familiarName: string;
}

const DOCKER_HUB = 'docker.io';

/** Parse `name[:tag][@digest]` with the image store's (Docker's) normalization, split for the registry. */
export function parseRemoteReference(ref: string): RemoteReference {
  const parsed = parseReference(ref);
  const slash = parsed.name.indexOf('/');
  if (slash <= 0) throw new EngineError('INVALID_REFERENCE', ref);
  if (parsed.digest !== undefined && !isDigest(parsed.digest)) {
    throw new EngineError('INVALID_REFERENCE', `unsupported digest algorithm: ${ref}`);
  }
  return {
    domain: parsed.name.slice(0, slash),
    path: parsed.name.slice(slash + 1),
    ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
    ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
    name: parsed.name,
    familiarName: familiarName(parsed.name),
  };
}

/** `name:tag` or `name@digest` in familiar form, as Docker's status lines print it. */
export function familiarString(ref: RemoteReference): string {
  if (ref.digest !== undefined) return `${ref.familiarName}@${ref.digest}`;
  return `${ref.familiarName}:${ref.tag ?? 'latest'}`;
}

/** The registry a reference's domain is served from (Docker Hub's API lives elsewhere). */
export function registryHost(domain: string): string {
  return domain === DOCKER_HUB || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

/** `docker login` server addresses: `https://index.docker.io/v1/`, `127.0.0.1:5000`, `http://host:port/`. */
export function loginDomain(serverAddress: string | undefined): string {
  if (!serverAddress) return DOCKER_HUB;
  let host = serverAddress.trim();
  const scheme = /^[a-z]+:\/\//i.exec(host);
  if (scheme) host = host.slice(scheme[0].length);
  host = host.split('/')[0] ?? '';
  if (host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DOCKER_HUB;
  return host.toLowerCase();
}
