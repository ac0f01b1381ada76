import { createReadStream } from 'node:fs';
import { lstat, mkdir, readlink, rm } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Json } from '../api/backend.js';
import { applyLayer } from '../archive/apply.js';
import { createLayerFromDiff, tarDirectory } from '../archive/pack.js';
import { resolveInScope } from '../archive/scope.js';
import type { ContainerRecord } from '../containers/types.js';
import { EngineError } from '../errors.js';
import { isMountpoint, mountAll, unmount } from '../mount/mount.js';
import type { DaemonContext } from './context.js';

// Go's os.FileMode bits, which the docker CLI decodes from the path-stat header.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

/** `docker cp`, `docker export`: file access to a container's root filesystem, running or not. */
export class ContainerArchive {
  constructor(
    private readonly ctx: DaemonContext,
    /** Where a running container's rootfs is mounted. */
    private readonly rootfsOf: (c: ContainerRecord) => string,
  ) {}

  /**
   * Run `fn` with the container's rootfs mounted: the live mount of a running container, or a
   * temporary mount of its snapshot that is released afterwards (also when `fn` streams).
   */
  private async withRootfs<T>(
    c: ContainerRecord,
    fn: (root: string) => Promise<T>,
    keepUntil?: (result: T) => Promise<void>,
  ): Promise<T> {
    const live = this.rootfsOf(c);
    if (c.state.Running && (await isMountpoint(live))) return fn(live);
    const target = join(this.ctx.containers.dir(c.id), `mnt-${process.hrtime.bigint()}`);
    await mkdir(target, { recursive: true });
    await mountAll(await this.ctx.snapshotter.mounts(c.id), target);
    const release = async () => {
      await unmount(target).catch(() => undefined);
      await rm(target, { recursive: true, force: true });
    };
    try {
      const result = await fn(target);
      if (keepUntil) void keepUntil(result).finally(release);
      else await release();
      return result;
    } catch (err) {
      await release();
      throw err;
    }
  }

  private async statPath(root: string, c: ContainerRecord, path: string): Promise<{ resolved: string; stat: Json }> {
    const rel = posix.normalize(`/${path}`);
    // The last component is not followed (docker cp copies a symlink as a symlink), its parents are, in scope.
    const parent = await resolveInScope(root, posix.dirname(rel));
    const resolved = rel === '/' ? root : join(parent, posix.basename(rel));
    const st = await lstat(resolved).catch(() => {
      throw new EngineError('NO_SUCH_PATH', path, c.id);
    });
    let mode = st.mode & 0o7777;
    if (st.isDirectory()) mode += GO_MODE_DIR;
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      mode += GO_MODE_SYMLINK;
      linkTarget = await readlink(resolved);
    }
    return {
      resolved,
      stat: { name: basename(rel) || '/', size: st.size, mode, mtime: st.mtime.toISOString(), linkTarget },
    };
  }

  async stat(ref: string, path: string): Promise<Json> {
    const c = this.ctx.containers.get(ref);
    return this.withRootfs(c, async (root) => (await this.statPath(root, c, path)).stat);
  }

  async get(ref: string, path: string): Promise<{ stat: Json; tar: Readable }> {
    const c = this.ctx.containers.get(ref);
    return this.withRootfs(
      c,
      async (root) => {
        const { resolved, stat } = await this.statPath(root, c, path);
        const name = path.endsWith('/.') ? '.' : (stat.name as string);
        const st = await lstat(resolved);
        const out = st.isDirectory()
          ? tarDirectory(resolved, { prefix: name === '/' ? '.' : name })
          : singleEntry(resolved, name, st);
        return { stat, tar: out };
      },
      (result) =>
        new Promise((resolve) => result.tar.once('close', resolve).once('end', resolve).once('error', resolve)),
    );
  }

  async put(
    ref: string,
    path: string,
    body: Readable,
    _opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
  ): Promise<void> {
    const c = this.ctx.containers.get(ref);
    if (c.hostConfig.ReadonlyRootfs) throw new EngineError('FORBIDDEN', 'container rootfs is marked read-only');
    await this.withRootfs(c, async (root) => {
      const dir = await resolveInScope(root, path);
      const st = await lstat(dir).catch(() => undefined);
      if (!st?.isDirectory()) throw new EngineError('NO_SUCH_PATH', path, c.id);
      // Extraction is scoped to `dir`: entries that climb out, or go through symlinks out of it, are refused.
      await applyLayer(body, dir);
    });
  }

  async export(ref: string): Promise<Readable> {
    const c = this.ctx.containers.get(ref);
    const out = new PassThrough();
    await this.withRootfs(
      c,
      async (root) => {
        tarDirectory(root)
          .on('error', (err) => out.destroy(err))
          .pipe(out);
        return out;
      },
      (stream) => new Promise((resolve) => stream.once('close', resolve).once('end', resolve).once('error', resolve)),
    );
    return out;
  }

  /** `docker diff`: the container's upper layer; whiteouts are deletions. */
  async changes(ref: string): Promise<{ Path: string; Kind: number }[]> {
    const c = this.ctx.containers.get(ref);
    const upper = await this.ctx.snapshotter.upperDir(c.id);
    const changes: { Path: string; Kind: number }[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const name = `/${header.name.replace(/\/$/, '')}`;
      const base = posix.basename(name);
      if (base === '.wh..wh..opq') changes.push({ Path: posix.dirname(name), Kind: 0 });
      else if (base.startsWith('.wh.')) changes.push({ Path: join(posix.dirname(name), base.slice(4)), Kind: 2 });
      else if (name !== '/' && name !== '/.') changes.push({ Path: name, Kind: header.type === 'directory' ? 0 : 1 });
      stream.resume();
      stream.on('end', next);
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve).on('error', reject);
      createLayerFromDiff(upper).on('error', reject).pipe(extract);
    });
    return changes.sort((a, b) => a.Path.localeCompare(b.Path));
  }
}

function singleEntry(file: string, name: string, st: Awaited<ReturnType<typeof lstat>>): Readable {
  const pack = tar.pack();
  const header = { name, mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid), mtime: st.mtime };
  void (async () => {
    try {
      if (st.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(file) });
      } else {
        const entry = pack.entry({ ...header, type: 'file', size: Number(st.size) });
        await new Promise<void>((resolve, reject) =>
          createReadStream(file).on('error', reject).pipe(entry).on('finish', resolve).on('error', reject),
        );
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}
