import { chown, lstat, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInScope } from '../archive/scope.js';
import { EngineError } from '../errors.js';

/**
 * Paths inside a container's rootfs, resolved the way the container will see them: symlinks are
 * followed, but absolute targets and `..` stay inside the rootfs (securejoin's rule). Image
 * content is untrusted: a `/etc/passwd -> /etc/shadow` or `WORKDIR` through `../../..` must not
 * reach the host. Hand-written because no npm package does scoped resolution.
 */

/**
 * Host path of `path` inside `root`. Components that do not exist are appended as they are, so
 * the result may name something that has yet to be created (still inside root).
 */
export function resolveInRoot(root: string, path: string): Promise<string> {
  return resolveInScope(posix.resolve(root), path, 'BAD_PARAMETER');
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * Make sure the working directory exists in the rootfs (docker run -w /new/dir creates it).
 * Missing directories are created 0755 and owned by `uid:gid`; existing ones are left alone.
 * Returns the host path of the working directory.
 */
export async function ensureWorkdir(rootfsPath: string, workdir: string, uid: number, gid: number): Promise<string> {
  if (!workdir.startsWith('/')) {
    throw new EngineError(
      'BAD_PARAMETER',
      `the working directory '${workdir}' is invalid, it needs to be an absolute path`,
    );
  }
  const root = posix.resolve(rootfsPath);
  // Create one component at a time, resolving each again, so a symlink met on the way stays scoped.
  let current = root;
  for (const part of splitPath(workdir)) {
    const inContainer = posix.join(posix.relative(root, current) || '.', part);
    const next = await resolveInRoot(root, `/${inContainer}`);
    let st: Awaited<ReturnType<typeof lstat>> | undefined;
    try {
      st = await lstat(next);
    } catch {
      st = undefined;
    }
    if (!st) {
      await mkdir(next, { mode: 0o755 });
      await chown(next, uid, gid);
    } else if (!st.isDirectory()) {
      throw new EngineError(
        'BAD_PARAMETER',
        `cannot use ${workdir} as the working directory: ${part} is not a directory`,
      );
    }
    current = next;
  }
  return current;
}
