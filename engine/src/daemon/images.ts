import type { Readable } from 'node:stream';
import type { Json } from '../api/backend.js';
import { EngineError } from '../errors.js';
import type { ImageRecord, ProgressFn } from '../images/types.js';
import type { DaemonContext } from './context.js';

/** Registry operations, provided by the distribution module when it is wired in. */
export interface RegistryOps {
  pull(
    ref: string,
    opts: { platform?: string; registryAuth?: string; signal?: AbortSignal },
    progress: ProgressFn,
  ): Promise<void>;
  push(ref: string, opts: { registryAuth?: string; signal?: AbortSignal }, progress: ProgressFn): Promise<void>;
  login(auth: Json): Promise<Json>;
}

/** Names as the docker CLI shows them: `docker.io/library/x` → `x`, `docker.io/u/x` → `u/x`. */
export function familiar(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** The image half of the Backend, on the image service and (for pull/push) the registry client. */
export class ImageOps {
  constructor(
    private readonly ctx: DaemonContext,
    private readonly registry?: RegistryOps,
  ) {}

  private usedBy(id: string): number {
    return this.ctx.containers.all().filter((c) => c.imageId === id).length;
  }

  private summary(i: ImageRecord, labels: Record<string, string>): Json {
    return {
      Id: i.id,
      ParentId: '',
      RepoTags: i.repoTags.map(familiar),
      RepoDigests: i.repoDigests.map(familiar),
      Created: seconds(i.created),
      Size: i.size,
      SharedSize: -1,
      VirtualSize: i.size,
      Labels: labels,
      Containers: this.usedBy(i.id),
    };
  }

  async imageList(opts: { all: boolean; digests: boolean; filters: Record<string, string[]> }): Promise<Json[]> {
    const records = await this.ctx.images.list(opts.filters, opts.all);
    const out: Json[] = [];
    for (const r of records) {
      const full = await this.ctx.images.get(r.id);
      out.push(this.summary(r, full.config.config?.Labels ?? {}));
    }
    return out.sort((a, b) => (b.Created as number) - (a.Created as number));
  }

  async imageInspect(ref: string): Promise<Json> {
    const i = await this.ctx.images.get(ref);
    const cfg = i.config;
    return {
      Id: i.id,
      RepoTags: i.repoTags.map(familiar),
      RepoDigests: i.repoDigests.map(familiar),
      Parent: '',
      Comment: cfg.comment ?? cfg.history?.at(-1)?.comment ?? '',
      Created: cfg.created ?? i.created,
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: { Env: null, Cmd: null, Entrypoint: null, WorkingDir: '', Labels: null, ...cfg.config },
      Architecture: cfg.architecture,
      Variant: cfg.variant,
      Os: cfg.os,
      Size: i.size,
      VirtualSize: i.size,
      GraphDriver: { Name: 'overlay2', Data: null },
      RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
      Metadata: { LastTagTime: i.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  }

  async imageHistory(ref: string): Promise<Json[]> {
    return (await this.ctx.images.history(ref)) as unknown as Json[];
  }

  async imageImport(
    tar: Readable,
    opts: { reference?: string; changes: string[]; message?: string },
    progress: ProgressFn,
  ): Promise<string> {
    const record = await this.ctx.images.importRootfs(
      tar,
      { reference: opts.reference, changes: opts.changes, message: opts.message },
      progress,
    );
    this.ctx.events.publish('image', 'import', record.id, { name: opts.reference ?? record.id });
    return record.id;
  }

  async imageLoad(tar: Readable, progress: ProgressFn): Promise<void> {
    const lines = await this.ctx.images.load(tar, progress);
    for (const line of lines) {
      progress({ stream: `${line}\n` });
      this.ctx.events.publish('image', 'load', line.replace(/^Loaded image( ID)?: /, ''), {});
    }
  }

  async imageSave(refs: string[]): Promise<Readable> {
    const tar = await this.ctx.images.save(refs);
    for (const ref of refs) this.ctx.events.publish('image', 'save', ref, { name: ref });
    return tar;
  }

  async imageTag(ref: string, repo: string, tag: string | undefined): Promise<void> {
    await this.ctx.images.tag(ref, repo, tag);
    const image = await this.ctx.images.get(ref);
    this.ctx.events.publish('image', 'tag', image.id, { name: `${repo}:${tag ?? 'latest'}` });
  }

  async imageRemove(ref: string, opts: { force: boolean; noprune: boolean }): Promise<Json[]> {
    const results = await this.ctx.images.remove(ref, opts);
    for (const r of results) {
      if (r.Untagged) this.ctx.events.publish('image', 'untag', r.Untagged, { name: r.Untagged });
      if (r.Deleted) this.ctx.events.publish('image', 'delete', r.Deleted, { name: r.Deleted });
    }
    return results.map((r) => (r.Untagged ? { Untagged: familiar(r.Untagged) } : { ...r })) as Json[];
  }

  async imagePrune(filters: Record<string, string[]>): Promise<Json> {
    const dangling = (filters.dangling?.[0] ?? 'true') !== 'false';
    const { dangling: _d, ...rest } = filters;
    const result = await this.ctx.images.prune({ dangling, filters: rest });
    this.ctx.events.publish('image', 'prune', '', { reclaimed: String(result.SpaceReclaimed) });
    return result as unknown as Json;
  }

  private requireRegistry(): RegistryOps {
    if (!this.registry) throw new EngineError('NOT_IMPLEMENTED', 'registry access');
    return this.registry;
  }

  async imagePull(
    ref: string,
    opts: { platform?: string; registryAuth?: string },
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void> {
    await this.requireRegistry().pull(ref, { ...opts, signal }, progress);
    this.ctx.events.publish('image', 'pull', ref, { name: ref });
  }

  async imagePush(
    ref: string,
    opts: { registryAuth?: string },
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void> {
    await this.requireRegistry().push(ref, { ...opts, signal }, progress);
    this.ctx.events.publish('image', 'push', ref, { name: ref });
  }

  async registryLogin(auth: Json): Promise<Json> {
    return this.requireRegistry().login(auth);
  }
}
