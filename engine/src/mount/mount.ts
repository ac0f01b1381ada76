import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';
import { EngineError } from '../errors.js';
import type { Mount } from '../snapshots/types.js';

/**
 * Mounting for the engine. Node has no mount(2)/umount(2) binding, so this spawns util-linux's
 * `mount` and `umount` (a few ms each); reading state needs no spawn: /proc/self/mountinfo.
 */

const run = promisify(execFile);

/** mount(2) takes at most one page of option data; util-linux passes `-o` through as that data. */
const MAX_OPTIONS = 4000;

/** Mount each spec at `target`, in order (containerd's mount.All). Stops at the first failure. */
export async function mountAll(mounts: Mount[], target: string): Promise<void> {
  for (const m of mounts) await mountOne(m, target);
}

async function mountOne(m: Mount, target: string): Promise<void> {
  let options = [...m.options];
  let cwd: string | undefined;
  if (m.type === 'overlay' && options.join(',').length > MAX_OPTIONS) {
    ({ options, cwd } = compactOverlayOptions(options));
  }
  const args: string[] = [];
  // A bind is not a filesystem type: util-linux wants it as an option (`bind`/`rbind`).
  if (m.type === 'bind') {
    if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
  } else {
    args.push('-t', m.type);
  }
  if (options.length > 0) args.push('-o', options.join(','));
  args.push(m.source, target);
  try {
    await run('mount', args, { cwd });
  } catch (err) {
    throw new EngineError('RUNTIME', `mount ${m.type} ${m.source} on ${target}: ${stderrOf(err)}`);
  }
}

/**
 * Many-layer overlays overflow the page of mount data. As containerd does, run `mount` from the
 * layers' common parent and name the lower dirs relative to it.
 */
function compactOverlayOptions(options: string[]): { options: string[]; cwd?: string } {
  const lower = options.find((o) => o.startsWith('lowerdir='));
  if (!lower) return { options };
  const dirs = lower.slice('lowerdir='.length).split(':');
  const parent = commonParent(dirs);
  if (!parent || parent === '/') return { options };
  const rel = dirs.map((d) => d.slice(parent.length + 1));
  return {
    cwd: parent,
    options: options.map((o) => (o === lower ? `lowerdir=${rel.join(':')}` : o)),
  };
}

function commonParent(paths: string[]): string | undefined {
  const split = paths.map((p) => p.split('/'));
  const first = split[0];
  if (!first) return undefined;
  let n = 0;
  while (n < first.length - 1 && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join('/') || '/';
}

/**
 * Unmount everything stacked on `target`. Idempotent: a path that is not a mount point (or does
 * not exist) is left as it is. `lazy` detaches a busy mount (MNT_DETACH).
 */
export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  // Mounts can be stacked; each umount removes the top one.
  for (let i = 0; i < 16; i++) {
    if (!(await isMountpoint(target))) return;
    try {
      await run('umount', opts.lazy ? ['-l', target] : [target]);
    } catch (err) {
      const msg = stderrOf(err);
      if (/not mounted|no mount point|not found/i.test(msg)) return;
      throw new EngineError('RUNTIME', `umount ${target}: ${msg}`);
    }
  }
  throw new EngineError('RUNTIME', `umount ${target}: still mounted after 16 unmounts`);
}

/** Unmount every mount at or below `dir`, deepest first (before a recursive removal of it). */
export async function unmountBelow(dir: string): Promise<void> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    return;
  }
  const below = (await readMountInfo())
    .map((m) => m.mountPoint)
    .filter((p) => p === root || p.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of new Set(below)) await unmount(target, { lazy: true });
}

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** The calling process's mount table (/proc/self/mountinfo), mount points unescaped. */
export async function readMountInfo(): Promise<MountInfo[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superopts
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ');
    const tail = right?.split(' ');
    const mountPoint = fields?.[4];
    if (!mountPoint || !tail) continue;
    out.push({
      mountPoint: unescapeOctal(mountPoint),
      options: fields[5] ?? '',
      fsType: tail[0] ?? '',
      source: unescapeOctal(tail[1] ?? ''),
    });
  }
  return out;
}

/** True when `path` is itself a mount point (not merely on one). Missing paths are not. */
export async function isMountpoint(path: string): Promise<boolean> {
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch {
    return false;
  }
  const table = await readMountInfo();
  return table.some((m) => m.mountPoint === resolved);
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).trim();
}
