import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The few syscalls Node has no binding for (mknod, setxattr, listxattr), done by spawning the
 * standard programs: coreutils' `mknod` and `setfattr`/`getfattr` from Debian's `attr` package.
 * They are spawned only when a layer actually needs them (device nodes, whiteouts, xattrs).
 * Paths handed to them are already resolved inside the extraction root, and `-h` keeps setfattr
 * and getfattr from following a symlink in the last component.
 */
const run = promisify(execFile);

export async function mknod(path: string, kind: 'c' | 'b' | 'p', major = 0, minor = 0): Promise<void> {
  const args = kind === 'p' ? [path, 'p'] : [path, kind, String(major), String(minor)];
  await run('mknod', ['--', ...args]);
}

/** Set one xattr; `value` is written verbatim (base64-encoded on the command line). */
export async function setXattr(path: string, name: string, value: Buffer): Promise<void> {
  await run('setfattr', ['-h', '-n', name, '-v', `0s${value.toString('base64')}`, '--', path]);
}

/** Set the same xattr on many paths in one spawn (overlay opaque markers). */
export async function setXattrMany(paths: string[], name: string, value: string): Promise<void> {
  for (let i = 0; i < paths.length; i += 500) {
    await run('setfattr', ['-h', '-n', name, '-v', value, '--', ...paths.slice(i, i + 500)]);
  }
}

/**
 * Every xattr under `root`, by absolute path, from one recursive getfattr (physical walk, no
 * symlink following). Paths without xattrs are absent.
 */
export async function dumpXattrs(root: string): Promise<Map<string, Map<string, Buffer>>> {
  const { stdout } = await run(
    'getfattr',
    ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', '--', root],
    {
      maxBuffer: 512 * 1024 * 1024,
      encoding: 'buffer',
    },
  );
  const out = new Map<string, Map<string, Buffer>>();
  let current: Map<string, Buffer> | undefined;
  for (const line of stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      out.set(unescapeName(line.slice('# file: '.length)), current);
    } else if (current && line.includes('=')) {
      const eq = line.indexOf('=');
      const value = line.slice(eq + 1);
      current.set(
        unescapeName(line.slice(0, eq)),
        value.startsWith('0s')
          ? Buffer.from(value.slice(2), 'base64')
          : Buffer.from(value.replace(/^"|"$/g, ''), 'latin1'),
      );
    }
  }
  return out;
}

/** getfattr writes non-printable bytes (and '\') as `\ooo` octal escapes. */
function unescapeName(s: string): string {
  const bytes = Buffer.from(
    s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    'latin1',
  );
  return bytes.toString('utf8');
}
