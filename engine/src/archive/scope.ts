import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { EngineError, type ErrorCode } from '../errors.js';

const MAX_SYMLINK_HOPS = 255;

/**
 * Clean a tar entry name into a path relative to the extraction root ('' for the root itself).
 * As moby does, a leading '/' is dropped after cleaning ("/abs/evil" lands at "abs/evil") and a
 * name that still climbs out ("../evil", "a/../../evil") is refused.
 */
export function cleanEntryName(raw: string): string {
  if (raw.includes('\0')) throw new EngineError('INVALID_ARCHIVE', `entry name contains NUL: ${JSON.stringify(raw)}`);
  let p = posix.normalize(raw);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '.' || p === '') return '';
  if (p === '..' || p.startsWith('../')) {
    throw new EngineError('INVALID_ARCHIVE', `${JSON.stringify(raw)} is outside of the extraction root`);
  }
  if (Buffer.byteLength(p) > 4095 || p.split('/').some((c) => Buffer.byteLength(c) > 255)) {
    throw new EngineError('INVALID_ARCHIVE', `entry name too long: ${JSON.stringify(raw.slice(0, 80))}…`);
  }
  return p;
}

/**
 * Resolve `rel` under `root` the way moby's `symlink.FollowSymlinkInScope` and containerd's
 * `fs.RootPath` do: every symlink met on the way is read and re-resolved with `root` acting as
 * '/', and '..' stops at `root`, so the result is always inside `root`. Components that do not
 * exist are kept literally. Hand-written because no npm library scopes symlink resolution.
 * One walk for every untrusted tree: layers, build contexts, container rootfs, volume copy-up.
 * `errorCode` names what a symlink loop is to the caller (a bad archive, a bad parameter).
 */
export async function resolveInScope(
  root: string,
  rel: string,
  errorCode: ErrorCode = 'INVALID_ARCHIVE',
): Promise<string> {
  let resolved: string[] = [];
  let pending = rel.split('/').filter((c) => c !== '' && c !== '.');
  let hops = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, c);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    if (!isLink) {
      resolved.push(c);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw new EngineError(errorCode, `too many symlinks resolving ${rel}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved = [];
    pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
  }
  return join(root, ...resolved);
}
