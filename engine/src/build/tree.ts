import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  /** Relative to the walk's root, '/'-separated; '' for the root itself. */
  rel: string;
  abs: string;
  st: Stats;
}

/** Which paths a walk leaves out (.dockerignore'd files). */
export interface TreeFilter {
  excluded(abs: string): boolean;
  /** Look inside excluded directories for re-included paths (`!` exceptions); the directories themselves stay out. */
  descendExcluded: boolean;
}

/** Entries under `root` (the root first), sorted by name, depth first; symlinks are not followed. */
export async function* walkTree(root: string, filter?: TreeFilter): AsyncGenerator<TreeEntry> {
  const st = await lstat(root);
  yield { rel: '', abs: root, st };
  if (!st.isDirectory()) return;
  yield* walkDir(root, '', filter);
}

async function* walkDir(dir: string, rel: string, filter?: TreeFilter): AsyncGenerator<TreeEntry> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const abs = join(dir, name);
    const st = await lstat(abs);
    const childRel = rel === '' ? name : `${rel}/${name}`;
    if (filter?.excluded(abs)) {
      if (st.isDirectory() && filter.descendExcluded) yield* walkDir(abs, childRel, filter);
      continue;
    }
    yield { rel: childRel, abs, st };
    if (st.isDirectory()) yield* walkDir(abs, childRel, filter);
  }
}

function header(st: Stats, type: string): string {
  // mtime is left out on purpose: as in Docker, touching a file does not invalidate the cache
  return `${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : 0}`;
}

function typeOf(st: Stats): string {
  if (st.isFile()) return 'f';
  if (st.isDirectory()) return 'd';
  if (st.isSymbolicLink()) return 'l';
  return 'o';
}

async function fileDigest(abs: string, st: Stats): Promise<string> {
  const hash = createHash('sha256').update(`${header(st, 'f')}\n`);
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size, 1), 1 << 20));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** Runs `fn` over `items` with at most `limit` at once (file hashing is I/O bound). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Content digests of files and trees, for cache keys: type, mode, owner, size and content of
 * each entry (a symlink's target text, never what it points to), and for a directory every
 * entry's relative path and digest. Memoized by host path: a build context does not change
 * during a build.
 */
export class TreeHasher {
  private readonly memo = new Map<string, Promise<string>>();

  digest(abs: string, filter?: TreeFilter): Promise<string> {
    let p = this.memo.get(abs);
    if (!p) {
      p = this.compute(abs, filter);
      this.memo.set(abs, p);
    }
    return p;
  }

  private async compute(abs: string, filter?: TreeFilter): Promise<string> {
    const st = await lstat(abs);
    if (st.isFile()) return fileDigest(abs, st);
    if (st.isSymbolicLink())
      return createHash('sha256')
        .update(`${header(st, 'l')}\n${await readlink(abs)}`)
        .digest('hex');
    if (!st.isDirectory())
      return createHash('sha256')
        .update(header(st, typeOf(st)))
        .digest('hex');
    const entries: TreeEntry[] = [];
    for await (const e of walkTree(abs, filter)) entries.push(e);
    const digests = await pool(entries, 32, async (e) => {
      if (e.st.isFile()) {
        const memo = this.memo.get(e.abs);
        if (memo) return memo;
        const d = fileDigest(e.abs, e.st);
        this.memo.set(e.abs, d);
        return d;
      }
      if (e.st.isSymbolicLink())
        return createHash('sha256')
          .update(`${header(e.st, 'l')}\n${await readlink(e.abs)}`)
          .digest('hex');
      return header(e.st, typeOf(e.st));
    });
    const hash = createHash('sha256');
    for (const [i, e] of entries.entries()) hash.update(`${e.rel}\0${digests[i]}\n`);
    return hash.digest('hex');
  }
}
