import { createHash } from 'node:crypto';
import { EngineError } from '../errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** `sha256:<hex>` of a buffer or string. */
export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/**
 * Refuse anything that is not a canonical sha256 digest: digests become file names, so this is
 * also what keeps `../` out of blob paths.
 */
export function assertDigest(value: string): string {
  if (!DIGEST_RE.test(value)) throw new EngineError('BAD_PARAMETER', `invalid digest: ${JSON.stringify(value)}`);
  return value;
}

export function digestHex(digest: string): string {
  return assertDigest(digest).slice('sha256:'.length);
}

/** containerd/moby chainID: identity of a stack of layers, bottom first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256Digest(`${prev} ${diffId}`));
  }
  return out;
}
