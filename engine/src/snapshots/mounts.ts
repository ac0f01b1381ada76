import type { Mount } from './types.js';

/**
 * The upper and lower directories behind a snapshot's mounts, read back from the spec (as
 * containerd's applier does) so layers can be written straight into the upper directory
 * without mounting anything.
 */
export function mountDirs(mounts: Mount[]): { upper: string; lowers: string[] } {
  const m = mounts[0];
  if (!m || mounts.length !== 1) throw new Error(`expected one mount, got ${mounts.length}`);
  if (m.type === 'bind') return { upper: m.source, lowers: [] };
  const opt = (name: string) => m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = opt('upperdir');
  if (upper === undefined) throw new Error('overlay mount without an upperdir is read-only');
  return { upper, lowers: (opt('lowerdir') ?? '').split(':').filter(Boolean) };
}
