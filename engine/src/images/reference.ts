import { parseFamiliarName } from '@swimlane/docker-reference';
import { EngineError } from '../errors.js';

/** A parsed image reference in normalized form: `name` is always domain-qualified. */
export interface ParsedReference {
  /** e.g. `docker.io/library/busybox`, `localhost:5000/app` */
  name: string;
  tag?: string;
  digest?: string;
}

const ID_RE = /^(sha256:)?[a-f0-9]{64}$/;
const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';

/** A full image id (`sha256:<64 hex>` or bare 64 hex), normalized to the prefixed form. */
export function asImageId(ref: string): string | undefined {
  if (!ID_RE.test(ref)) return undefined;
  return ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
}

/**
 * Parse a reference as Docker does (distribution/reference's ParseNormalizedNamed): `busybox` is
 * `docker.io/library/busybox`, a first component with a '.' or ':' or `localhost` is a registry.
 * Throws INVALID_REFERENCE. A 64-hex string is refused as a name, as Docker does.
 */
export function parseReference(ref: string): ParsedReference {
  if (ID_RE.test(ref) && !ref.startsWith('sha256:')) {
    throw new EngineError('INVALID_REFERENCE', `${ref}: repository name must not be a 64-byte hex string`);
  }
  let parsed: ReturnType<typeof parseFamiliarName>;
  try {
    parsed = parseFamiliarName(ref);
  } catch (err) {
    throw new EngineError(
      'INVALID_REFERENCE',
      `${ref}: ${(err as Error).message.replace(/^invalid reference format:? ?/, '')}`,
    );
  }
  if (!parsed.domain || !parsed.repository) throw new EngineError('INVALID_REFERENCE', ref);
  const out: ParsedReference = { name: `${parsed.domain}/${parsed.repository}` };
  if (parsed.tag) out.tag = parsed.tag;
  if (parsed.digest) out.digest = parsed.digest;
  return out;
}

/** `name:tag` with `latest` added when the reference has neither tag nor digest; `name@digest` for digests. */
export function normalizeReference(ref: string): string {
  const p = parseReference(ref);
  if (p.digest) return `${p.name}@${p.digest}`;
  return `${p.name}:${p.tag ?? 'latest'}`;
}

/** Normalized `name:tag` from a repository and an optional tag (docker tag / import / commit). */
export function normalizeTag(repo: string, tag?: string): string {
  const p = parseReference(repo);
  if (p.digest) throw new EngineError('INVALID_REFERENCE', `${repo}: a tag target cannot contain a digest`);
  if (tag !== undefined && tag !== '') {
    if (p.tag) throw new EngineError('INVALID_REFERENCE', `${repo}:${tag}`);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new EngineError('INVALID_REFERENCE', tag);
    return `${p.name}:${tag}`;
  }
  return `${p.name}:${p.tag ?? 'latest'}`;
}

/** `docker.io/library/busybox` → `busybox`, `docker.io/me/app` → `me/app`; others unchanged. */
export function familiarName(name: string): string {
  if (!name.startsWith(`${DEFAULT_DOMAIN}/`)) return name;
  const rest = name.slice(DEFAULT_DOMAIN.length + 1);
  return rest.startsWith(OFFICIAL_PREFIX) && !rest.slice(OFFICIAL_PREFIX.length).includes('/')
    ? rest.slice(OFFICIAL_PREFIX.length)
    : rest;
}

/** A normalized `name:tag` / `name@digest` shown as the docker CLI shows it. */
export function familiarString(ref: string): string {
  const { name, suffix } = splitReference(ref);
  return familiarName(name) + suffix;
}

/** Split a normalized reference into its name and `:tag` / `@digest` suffix. */
export function splitReference(ref: string): { name: string; suffix: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), suffix: ref.slice(at) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), suffix: ref.slice(colon) };
  return { name: ref, suffix: '' };
}
