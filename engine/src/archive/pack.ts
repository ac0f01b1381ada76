import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { OPAQUE_WHITEOUT, OVERLAY_OPAQUE_XATTR, type TarHeader, WHITEOUT_PREFIX } from './apply.js';

type PackHeader = TarHeader & { pax?: Record<string, string> };

import { dumpXattrs } from './sys.js';

export interface PackOptions {
  /** Prefix every entry name with this (e.g. the base name for `docker cp`). */
  prefix?: string;
  /** Carry xattrs as PAX `SCHILY.xattr.*` records (default true). */
  xattrs?: boolean;
}

/**
 * A layer tar of an overlay upper directory: whiteout devices become `.wh.<name>` entries and
 * opaque directories get a `.wh..wh..opq` entry right after their own, as moby's overlay
 * converter writes them. Entries are sorted by name so the same changes give the same diffID.
 */
export function createLayerFromDiff(upperDir: string, opts: PackOptions = {}): Readable {
  return packTree(upperDir, { ...opts, layer: true });
}

/** A plain tar of a whole directory tree (`docker export`, `docker cp`), symlinks not followed. */
export function tarDirectory(dir: string, opts: PackOptions = {}): Readable {
  return packTree(dir, { ...opts, layer: false });
}

/**
 * `docker cp` out of a container: the file or directory at `path` under the entry name `name`
 * (a directory comes with its own entry first, then its tree). Symlinks are archived as links.
 */
export function tarPath(path: string, name: string, opts: Omit<PackOptions, 'prefix'> = {}): Readable {
  return packTree(path, { ...opts, prefix: name, layer: false, self: true });
}

/**
 * Hand-written walk rather than tar-fs: we need whiteout conversion, device nodes, hard-link
 * detection, xattrs and a deterministic order, which tar-fs does not offer together.
 */
function packTree(root: string, opts: PackOptions & { layer: boolean; self?: boolean }): Readable {
  const pack = tar.pack();
  const prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  const run = async () => {
    const xattrs = opts.xattrs === false ? new Map<string, Map<string, Buffer>>() : await dumpXattrs(root);
    const inodes = new Map<string, string>();
    const add = (header: PackHeader, body?: Readable): Promise<void> =>
      new Promise((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        const h = header as Parameters<typeof pack.entry>[0];
        if (!body) {
          pack.entry(h, Buffer.alloc(0), done);
          return;
        }
        const sink = pack.entry(h, done) as unknown as NodeJS.WritableStream & { destroy(err?: Error): void };
        // tar-stream's sinks are streamx streams: copy by hand with backpressure
        (async () => {
          for await (const chunk of body) {
            if (!sink.write(chunk as Buffer)) await new Promise((r) => sink.once('drain', () => r(undefined)));
          }
          sink.end();
        })().catch((err) => {
          sink.destroy(err as Error);
          reject(err);
        });
      });
    const walk = async (dir: string, rel: string): Promise<void> => {
      const names = (await readdir(dir)).sort();
      for (const name of names) {
        const path = join(dir, name);
        const relName = rel === '' ? name : `${rel}/${name}`;
        const st = await lstat(path, { bigint: true });
        const base: PackHeader = {
          name: prefix + relName,
          mode: Number(st.mode & 0o7777n),
          uid: Number(st.uid),
          gid: Number(st.gid),
          mtime: new Date(Number(st.mtimeMs)),
        };
        const attrs = xattrs.get(path);
        const pax = paxFor(attrs);
        if (pax) base.pax = pax;
        if (opts.layer && st.isCharacterDevice() && st.rdev === 0n) {
          const wh = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
          await add({ name: prefix + wh, type: 'file', size: 0, mode: 0o600, uid: 0, gid: 0, mtime: base.mtime });
          continue;
        }
        if (st.isDirectory()) {
          await add({ ...base, name: `${base.name}/`, type: 'directory' }); // Docker writes directories with a trailing '/'
          if (opts.layer && attrs?.get(OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
            await add({
              ...base,
              name: `${prefix}${relName}/${OPAQUE_WHITEOUT}`,
              type: 'file',
              size: 0,
              mode: base.mode! & 0o777,
            });
          }
          await walk(path, relName);
        } else if (st.isSymbolicLink()) {
          await add({ ...base, type: 'symlink', linkname: await readlink(path) });
        } else if (st.isFile()) {
          const key = `${st.dev}:${st.ino}`;
          const first = st.nlink > 1n ? inodes.get(key) : undefined;
          if (first !== undefined) {
            await add({ ...base, type: 'link', linkname: first, size: 0 });
            continue;
          }
          if (st.nlink > 1n) inodes.set(key, prefix + relName);
          const size = Number(st.size);
          await add(
            { ...base, type: 'file', size },
            size > 0 ? createReadStream(path, { start: 0, end: size - 1 }) : undefined,
          );
        } else if (st.isCharacterDevice() || st.isBlockDevice()) {
          const [devmajor, devminor] = splitDev(st.rdev);
          await add({
            ...base,
            type: st.isCharacterDevice() ? 'character-device' : 'block-device',
            devmajor,
            devminor,
          });
        } else if (st.isFIFO()) {
          await add({ ...base, type: 'fifo' });
        }
        // sockets are not archived (as in moby)
      }
    };
    if (opts.self) {
      // the named path itself: a single non-directory entry, or the directory entry then its tree
      const st = await lstat(root);
      const name = prefix.replace(/\/$/, '');
      const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) await add({ ...base, name: `${name}/`, type: 'directory' });
      else if (st.isSymbolicLink()) await add({ ...base, type: 'symlink', linkname: await readlink(root) });
      else if (st.isFile())
        await add(
          { ...base, type: 'file', size: st.size },
          st.size > 0 ? createReadStream(root, { start: 0, end: st.size - 1 }) : undefined,
        );
      if (!st.isDirectory()) {
        pack.finalize();
        return;
      }
    }
    await walk(root, '');
    pack.finalize();
  };
  run().catch((err) => pack.destroy(err as Error));
  // a real node:stream Readable (tar-stream's own is streamx) so callers can pipeline() it
  return Readable.from(pack);
}

function paxFor(attrs: Map<string, Buffer> | undefined): Record<string, string> | undefined {
  if (!attrs) return undefined;
  let pax: Record<string, string> | undefined;
  for (const [name, value] of attrs) {
    if (name.startsWith('trusted.overlay.')) continue;
    const text = value.toString('utf8');
    // tar-stream writes PAX values as UTF-8 text: a binary value would be corrupted, so skip it
    if (Buffer.compare(Buffer.from(text, 'utf8'), value) !== 0) continue;
    pax ??= {};
    pax[`SCHILY.xattr.${name}`] = text;
  }
  return pax;
}

/** glibc's major()/minor() on a 64-bit dev_t. */
function splitDev(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}
