import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer } from '../archive/apply.js';
import { decompress } from '../archive/decompress.js';
import { resolveInScope } from '../archive/scope.js';
import { EngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { ContextIndex } from './context-index.js';
import { DockerIgnore } from './dockerignore.js';
import { goPatternToRegExp, hasWildcards } from './match.js';
import { type TreeFilter, TreeHasher, walkTree } from './tree.js';

/** Contexts up to this size stay in memory; larger ones are kept in a file. */
const IN_MEMORY_CONTEXT = 64 * 1024 * 1024;

/**
 * The context's tar, decompressed, with its end made whole: `docker build -f -` appends the
 * Dockerfile to the context with a tar writer it never closes, so the last entry lacks its
 * padding and the archive its end marker (dockerd's Go reader tolerates this, tar-stream does
 * not). Zero blocks after a complete archive change nothing.
 */
async function* terminated(source: Readable | AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of decompress(source)) {
    total += chunk.length;
    yield chunk;
  }
  yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
}

/** One thing a COPY/ADD copies: a file or a directory (whose contents are copied). */
export interface CopySource {
  /** The path as named or matched: a file keeps this base name at a directory destination. */
  origin: string;
  /** Resolved path on the host. */
  path: string;
  isDir: boolean;
  /** What to leave out when copying a directory (the .dockerignore'd paths). */
  filter?: TreeFilter;
}

/** A COPY/ADD source path, cleaned and kept inside its root (Docker's "forbidden path outside the build context"). */
export function cleanSourcePath(raw: string): string {
  const norm = posix.normalize(raw);
  if (norm === '..' || norm.startsWith('../'))
    throw new EngineError('BAD_PARAMETER', `forbidden path outside the build context: ${raw} ()`);
  const rel = posix.normalize(`/${raw}`).replace(/^\/+/, '');
  return rel === '' ? '.' : rel;
}

export function notFound(rel: string): EngineError {
  return new EngineError(
    'BAD_PARAMETER',
    `file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`,
  );
}

/**
 * Resolve COPY/ADD sources under `root` with Docker's rules: a wildcard pattern matches every
 * path of the tree (Go filepath.Match on the whole relative path), anything else is one path
 * whose symlinks are followed inside `root`. `isExcluded` takes root-relative paths;
 * `hasExceptions` says whether excluded directories may hold re-included paths.
 */
export async function resolveSources(
  root: string,
  patterns: string[],
  isExcluded: (rel: string) => boolean = () => false,
  hasExceptions = false,
): Promise<CopySource[]> {
  const filter: TreeFilter = { excluded: (abs) => isExcluded(relative(root, abs)), descendExcluded: hasExceptions };
  const out: CopySource[] = [];
  for (const raw of patterns) {
    const rel = cleanSourcePath(raw);
    if (hasWildcards(rel)) {
      const re = goPatternToRegExp(rel);
      const before = out.length;
      for await (const e of walkTree(root, filter)) {
        if (e.rel === '' || !re.test(e.rel)) continue;
        out.push(await single(root, e.rel, filter));
      }
      if (out.length === before) throw new EngineError('BAD_PARAMETER', 'no source files were specified');
      continue;
    }
    if (isExcluded(rel)) throw notFound(rel);
    out.push(await single(root, rel, filter));
  }
  return out;
}

async function single(root: string, rel: string, filter: TreeFilter): Promise<CopySource> {
  const path = await resolveInScope(root, rel === '.' ? '' : rel);
  const st = await stat(path).catch(() => undefined);
  if (!st || (path !== root && filter.excluded(path))) throw notFound(rel);
  return { origin: rel, path, isDir: st.isDirectory(), filter };
}

/**
 * The build context. The client's tar is kept (in memory, or in one file when large) and
 * indexed (digests, symlinks, the Dockerfile and .dockerignore contents), and extracted with the engine's secure
 * layer extraction only when a COPY/ADD actually copies from it: a fully cached rebuild never
 * creates a file. The docker CLI already leaves ignored files out; the rules are applied again
 * here for API clients that send a raw tar, and so that the Dockerfile and .dockerignore
 * (always sent) are not copied when they are ignored.
 */
export class BuildContext {
  private ignore = new DockerIgnore(undefined);
  private readonly hasher = new TreeHasher();
  private index: ContextIndex | undefined;
  private extracted?: Promise<void>;
  private buffered?: Buffer[];
  /** Where the context is (or will be) extracted; source paths point here. */
  readonly root: string;
  private readonly tarPath: string;

  private constructor(
    readonly dir: string,
    private readonly log?: Logger,
  ) {
    this.root = join(dir, 'root');
    this.tarPath = join(dir, 'context.tar');
  }

  /**
   * Receive the context. `dockerfile` names the Dockerfile the build will read (its content is
   * kept from the stream). Should the stream not index cleanly, it is extracted right away, so
   * a bad archive fails here, as it would in dockerd.
   */
  static async receive(
    source: Readable | AsyncIterable<Uint8Array>,
    dir: string,
    dockerfile?: string,
    log?: Logger,
  ): Promise<BuildContext> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ctx = new BuildContext(dir, log);
    try {
      await ctx.store(terminated(source));
      const wanted = new Set([
        '.dockerignore',
        ...(dockerfile ? [posix.normalize(dockerfile.replace(/^\/+/, ''))] : ['Dockerfile', 'dockerfile']),
      ]);
      const index = await ContextIndex.fromTar(ctx.read(), wanted).catch(() => undefined);
      if (index && !index.unsafe) ctx.index = index;
      else await ctx.materialize();
      ctx.ignore = new DockerIgnore(await ctx.readText('.dockerignore'));
    } catch (err) {
      await ctx.remove();
      throw err;
    }
    return ctx;
  }

  /** Keep the tar: in memory while small (most contexts), in one file beyond that. */
  private async store(tar: AsyncIterable<Buffer>): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    let file: ReturnType<typeof createWriteStream> | undefined;
    const write = (chunk: Buffer) =>
      file!.write(chunk)
        ? undefined
        : new Promise<void>((resolve, reject) => file!.once('drain', resolve).once('error', reject));
    for await (const chunk of tar) {
      if (!file) {
        chunks.push(chunk);
        size += chunk.length;
        if (size <= IN_MEMORY_CONTEXT) continue;
        file = createWriteStream(this.tarPath, { mode: 0o600 });
        for (const c of chunks.splice(0)) await write(c);
        continue;
      }
      await write(chunk);
    }
    if (file) {
      const f = file;
      await new Promise<void>((resolve, reject) => f.once('error', reject).end(resolve));
    } else this.buffered = chunks;
  }

  /** The stored tar, from the start. */
  private read(): AsyncIterable<Uint8Array> {
    const buffered = this.buffered;
    if (!buffered) return createReadStream(this.tarPath);
    return (async function* () {
      yield* buffered;
    })();
  }

  /** Extract the context (once), for a COPY/ADD that copies from it. */
  materialize(): Promise<void> {
    this.extracted ??= (async () => {
      await mkdir(this.root, { mode: 0o700 });
      await applyLayer(this.read(), this.root, this.log ? { log: this.log } : {});
    })();
    return this.extracted;
  }

  /** A small file's text, from the index when it kept it, else from the extracted tree; undefined when absent. */
  private async readText(rel: string): Promise<string | undefined> {
    if (this.index) {
      const resolved = this.index.resolve(rel);
      const kept = this.index.content(resolved);
      if (kept) return kept.toString('utf8');
      const kind = this.index.kind(resolved);
      if (kind === undefined) return undefined;
      if (kind !== 'file') return kind === 'dir' ? undefined : this.readFromDisk(rel);
    }
    return this.readFromDisk(rel);
  }

  private async readFromDisk(rel: string): Promise<string | undefined> {
    await this.materialize();
    const path = await resolveInScope(this.root, rel);
    const st = await lstat(path).catch(() => undefined);
    return st?.isFile() ? readFile(path, 'utf8') : undefined;
  }

  isExcluded(rel: string): boolean {
    return this.ignore.ignores(rel);
  }

  /** The Dockerfile's text; the default name falls back to `dockerfile`, as dockerd does. */
  async dockerfile(name: string | undefined): Promise<{ name: string; text: string }> {
    const candidates = name ? [name] : ['Dockerfile', 'dockerfile'];
    for (const c of candidates) {
      const rel = posix.normalize(c.replace(/^\/+/, ''));
      if (rel === '..' || rel.startsWith('../'))
        throw new EngineError('BAD_PARAMETER', `the Dockerfile (${c}) must be within the build context`);
      const text = await this.readText(rel);
      if (text !== undefined) return { name: c, text };
    }
    throw new EngineError('BAD_PARAMETER', `Cannot locate specified Dockerfile: ${name ?? 'Dockerfile'}`);
  }

  /** COPY/ADD sources, resolved on the index (no extraction needed) or on the extracted tree. */
  async sources(patterns: string[]): Promise<CopySource[]> {
    const isExcluded = (rel: string) => this.isExcluded(rel);
    if (this.index)
      return resolveIndexedSources(this.index, this.root, patterns, isExcluded, this.ignore.hasExceptions);
    return resolveSources(this.root, patterns, isExcluded, this.ignore.hasExceptions);
  }

  /** Docker's source hash for the cache: `file:<hex>`/`dir:<hex>` for one source, `multi:<hex>` for several. */
  async digest(sources: CopySource[]): Promise<string> {
    const parts = await Promise.all(
      sources.map(async (s) => `${s.isDir ? 'dir' : 'file'}:${await this.sourceDigest(s)}`),
    );
    if (parts.length === 1) return parts[0]!;
    return `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
  }

  private async sourceDigest(s: CopySource): Promise<string> {
    const rel = relative(this.root, s.path);
    if (this.index && !rel.startsWith('..')) {
      if (s.isDir) return this.index.directory(rel, s.filter, (r) => join(this.root, r));
      const d = this.index.file(rel);
      if (d) return d;
    }
    await this.materialize();
    return this.hasher.digest(s.path, s.isDir ? s.filter : undefined);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** resolveSources on the index: the same rules, paths under `root` where extraction puts them. */
function resolveIndexedSources(
  index: ContextIndex,
  root: string,
  patterns: string[],
  isExcluded: (rel: string) => boolean,
  hasExceptions: boolean,
): CopySource[] {
  const filter: TreeFilter = { excluded: (abs) => isExcluded(relative(root, abs)), descendExcluded: hasExceptions };
  const single = (rel: string): CopySource => {
    const resolved = index.resolve(rel === '.' ? '' : rel);
    const kind = index.kind(resolved);
    if (kind === undefined || kind === 'symlink' || (resolved !== '' && isExcluded(resolved))) throw notFound(rel);
    return { origin: rel, path: resolved === '' ? root : join(root, resolved), isDir: kind === 'dir', filter };
  };
  const out: CopySource[] = [];
  for (const raw of patterns) {
    const rel = cleanSourcePath(raw);
    if (!hasWildcards(rel)) {
      if (isExcluded(rel)) throw notFound(rel);
      out.push(single(rel));
      continue;
    }
    const re = goPatternToRegExp(rel);
    const before = out.length;
    const excludedDirs: string[] = [];
    for (const path of index.paths()) {
      if (!hasExceptions && excludedDirs.some((d) => path.startsWith(`${d}/`))) continue;
      if (isExcluded(path)) {
        excludedDirs.push(path);
        continue;
      }
      if (re.test(path)) out.push(single(path));
    }
    if (out.length === before) throw new EngineError('BAD_PARAMETER', 'no source files were specified');
  }
  return out;
}
