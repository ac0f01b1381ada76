import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineError } from '../errors.js';

const run = promisify(execFile);

const RUNTIME_CANDIDATES = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'];
const CONMON_CANDIDATES = [
  '/usr/bin/conmon',
  '/usr/libexec/podman/conmon',
  '/usr/local/bin/conmon',
  '/usr/local/libexec/podman/conmon',
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable among `candidates`, then `name` on PATH. */
export function findExecutable(name: string, candidates: string[] = []): string | undefined {
  for (const c of candidates) if (isExecutable(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function defaultRuntimePath(): string {
  return findExecutable('runc', RUNTIME_CANDIDATES) ?? '/usr/sbin/runc';
}

export function defaultConmonPath(): string {
  return findExecutable('conmon', CONMON_CANDIDATES) ?? '/usr/bin/conmon';
}

/**
 * Everything the runtime needs from the host, checked at once so the message lists all of it:
 * the OCI runtime, conmon, overlayfs, and util-linux's mount/umount.
 */
export async function checkDependencies(paths: { runtimePath: string; conmonPath: string }): Promise<void> {
  const problems: string[] = [];
  const probe = async (what: string, path: string, hint: string) => {
    try {
      await run(path, ['--version'], { timeout: 10_000 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? `${what} not found at ${path} (${hint})`
          : `${what} at ${path} does not run: ${e.message.split('\n')[0]}`,
      );
    }
  };
  await probe('OCI runtime', paths.runtimePath, 'install the runc package, or set the runtime path');
  await probe('conmon', paths.conmonPath, 'install the conmon package, or set the conmon path');
  for (const tool of ['mount', 'umount']) {
    if (!findExecutable(tool, [`/usr/bin/${tool}`, `/bin/${tool}`]))
      problems.push(`${tool} not found (install util-linux's mount package)`);
  }
  try {
    const fs = await readFile('/proc/filesystems', 'utf8');
    if (!/\toverlay$/m.test(fs)) problems.push('the kernel has no overlay filesystem (try `modprobe overlay`)');
  } catch {
    problems.push('cannot read /proc/filesystems: is /proc mounted?');
  }
  if (problems.length > 0) {
    throw new EngineError('RUNTIME', `berthd cannot run containers:\n - ${problems.join('\n - ')}`);
  }
}
