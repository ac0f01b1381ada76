import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';

export interface TarEntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

/** Build a tar in memory from entry specs, names written verbatim (hostile ones included). */
export async function makeTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_700_000_000_000),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      pax: e.pax,
    };
    if (type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry({ ...header, size: 0 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every path under `dir` with type, mode, owner, size, mtime, link target and content hash. */
export async function treeSnapshot(dir: string, skip: string[] = [], precise = false): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string) => {
    for (const name of (await readdir(d)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip.includes(r)) continue;
      const p = join(d, name);
      const st = await lstat(p);
      let extra = '';
      if (st.isSymbolicLink()) extra = `-> ${await readlink(p)}`;
      else if (st.isFile())
        extra = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
      out.set(
        r,
        `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${precise ? `${st.mtimeMs}/${st.ctimeMs}` : Math.floor(st.mtimeMs / 1000)} ${st.nlink} ${extra}`,
      );
      if (st.isDirectory()) await walk(p, r);
    }
  };
  await walk(dir, '');
  return out;
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
