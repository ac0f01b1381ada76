import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { resolveInScope } from '../archive/scope.js';
import { EngineError } from '../errors.js';

const run = promisify(execFile);

/**
 * Copy what the image has at `containerPath` into a volume's data directory, as Docker does on
 * first use: only when the volume is empty and the image has a directory there; ownership,
 * modes, symlinks, special files and xattrs are preserved, and the volume root takes the
 * image directory's owner and mode. `cp -a` (coreutils) does exactly this, so no JS copy.
 * Returns whether anything was copied. Throws Docker's error when the image has a file there.
 */
export async function copyUp(volumeData: string, rootfs: string, containerPath: string): Promise<boolean> {
  const source = await resolveInScope(rootfs, containerPath, 'BAD_PARAMETER');
  const st = await lstat(source).catch(() => undefined);
  if (!st) return false;
  if (!st.isDirectory()) {
    throw new EngineError('BAD_PARAMETER', `cannot mount volume over existing file, file exists ${source}`);
  }
  if ((await readdir(volumeData)).length > 0) return false;
  try {
    await run('cp', ['-a', '--', `${source}/.`, `${volumeData}/`]);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new EngineError('INTERNAL', `copying image content into volume: ${e.stderr?.trim() || e.message}`);
  }
  return true;
}
