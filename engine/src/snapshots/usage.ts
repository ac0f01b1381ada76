import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './types.js';

/**
 * du-like walk: apparent size of every non-directory (hard links counted once), and one inode per
 * entry. Apparent rather than allocated size because that is what Docker reports as SizeRw and
 * layer Size. Symlinks are never followed.
 */
export async function diskUsage(root: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0;
  let inodes = 0;
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path, { bigint: true });
      const ino = `${st.dev}:${st.ino}`;
      if (seen.has(ino)) continue;
      seen.add(ino);
      inodes++;
      if (st.isDirectory()) await walk(path);
      else size += Number(st.size);
    }
  };
  await walk(root);
  return { size, inodes };
}
