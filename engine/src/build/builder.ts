import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { hostArchitecture } from '../images/blobs.js';
import { familiarString, parseReference, splitReference } from '../images/reference.js';
import type { ProgressFn } from '../images/types.js';
import { unmount } from '../mount/mount.js';
import { BuildCache } from './cache.js';
import { BuildContext } from './context.js';
import { BuildStepError } from './failure.js';
import type { KeyValueInstruction } from './instructions.js';
import { BuildJob } from './job.js';
import { type BuildOptions, parseBuildOptions } from './options.js';
import { BuildOutput, shortId } from './output.js';
import { BuildMounts } from './rootfs.js';
import { type BuildPlan, planDockerfile, type Stage, stagesUpTo } from './stages.js';
import type { BuildHost } from './types.js';

/** `X-Registry-Config`: base64 JSON of registry → auth config; the pull wants one entry, base64 JSON. */
function authResolver(header: string | undefined): (ref: string) => string | undefined {
  if (!header) return () => undefined;
  let configs: Record<string, unknown>;
  try {
    configs = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return () => undefined;
  }
  return (ref) => {
    let domain: string;
    try {
      domain = parseReference(ref).name.split('/')[0] ?? '';
    } catch {
      return undefined;
    }
    const keys =
      domain === 'docker.io'
        ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
        : [domain, `https://${domain}`, `http://${domain}`];
    for (const k of keys) {
      const auth = configs[k];
      if (auth) return Buffer.from(JSON.stringify(auth)).toString('base64url');
    }
    return undefined;
  };
}

/** `--label`s become LABEL instructions at the end of the last stage built (moby's buildLabelOptions). */
function addLabelInstructions(stages: Stage[], labels: Record<string, string>): void {
  const last = stages[stages.length - 1];
  if (!last) return;
  const line = last.commands[last.commands.length - 1]?.node.endLine ?? last.from.node.endLine;
  for (const key of Object.keys(labels).sort()) {
    const original = `LABEL ${key}=${labels[key]}`;
    const inst: KeyValueInstruction = {
      kind: 'LABEL',
      node: { keyword: 'LABEL', line, endLine: line, original, flags: [], rest: '' },
      pairs: [{ key, value: labels[key] ?? '' }],
      noExpand: true,
    };
    last.commands.push(inst);
  }
}

function checkPlatform(opts: BuildOptions): void {
  if (!opts.platform) return;
  const [os, arch] = opts.platform.toLowerCase().split('/');
  if (os !== 'linux' || (arch !== undefined && arch !== hostArchitecture())) {
    throw new EngineError(
      'BAD_PARAMETER',
      `platform ${opts.platform} is not supported: this daemon builds for linux/${hostArchitecture()}`,
    );
  }
}

/**
 * The classic builder (`POST /build`, what `DOCKER_BUILDKIT=0 docker build` drives): reads the
 * context tar, plans the Dockerfile, runs each stage step by step with the persistent step
 * cache, tags the result. One Builder per daemon; builds may run concurrently.
 */
export class Builder {
  private readonly cache: BuildCache;
  private readonly mounts: BuildMounts;
  private readonly scratch: string;
  private readonly mountRoot: string;
  private recovered?: Promise<void>;

  constructor(private readonly host: BuildHost) {
    const dir = join(host.root, 'build');
    this.cache = new BuildCache(join(dir, 'cache.json'));
    this.mountRoot = join(dir, 'mnt');
    this.mounts = new BuildMounts(host, this.mountRoot);
    this.scratch = join(dir, 'tmp');
  }

  /**
   * What a build interrupted by a daemon crash left behind: mounts, scratch contexts and the
   * builder's own snapshots (keys `build-…`). Done once, before the first build.
   */
  private recover(): Promise<void> {
    this.recovered ??= (async () => {
      for (const name of await readdir(this.mountRoot).catch(() => [] as string[])) {
        await unmount(join(this.mountRoot, name), { lazy: true }).catch(() => undefined);
        await rm(join(this.mountRoot, name), { recursive: true, force: true }).catch(() => undefined);
      }
      await rm(this.scratch, { recursive: true, force: true });
      for (const snap of await this.host.snapshotter.list()) {
        if (snap.kind !== 'committed' && snap.key.startsWith('build-'))
          await this.host.snapshotter.remove(snap.key).catch(() => undefined);
      }
    })().catch((err: unknown) => this.host.log.warn({ err }, 'cleaning up after interrupted builds failed'));
    return this.recovered;
  }

  async build(
    source: Readable,
    query: URLSearchParams,
    registryConfig: string | undefined,
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void> {
    const opts = parseBuildOptions(query);
    checkPlatform(opts);
    const started = process.hrtime.bigint();
    await this.recover();
    await this.cache.load();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    const context = await BuildContext.receive(
      source,
      join(this.scratch, randomBytes(8).toString('hex')),
      opts.dockerfile,
      this.host.log,
    );
    this.host.log.debug({ ms: ms() }, 'build context received');
    const out = new BuildOutput(progress, opts.quiet);
    let job: BuildJob | undefined;
    try {
      const dockerfile = await context.dockerfile(opts.dockerfile);
      const plan: BuildPlan = planDockerfile(dockerfile.text, dockerfile.name);
      let stages: Stage[];
      try {
        stages = stagesUpTo(plan, opts.target);
      } catch (err) {
        throw new EngineError('BAD_PARAMETER', (err as Error).message);
      }
      addLabelInstructions(stages, opts.labels);
      for (const w of plan.warnings) out.stderr(`${w}\n`);
      job = new BuildJob(
        this.host,
        opts,
        context,
        this.cache,
        this.mounts,
        out,
        signal,
        dockerfile.name,
        authResolver(registryConfig),
        plan.escapeToken,
      );
      const imageId = await job.run(plan, stages);
      this.host.log.debug({ ms: ms(), imageId }, 'build steps done');
      out.stdout(`Successfully built ${shortId(imageId)}\n`);
      for (const tag of opts.tags) {
        const { name, suffix } = splitReference(tag);
        await this.host.images.tag(imageId, name, suffix.slice(1));
        out.stdout(`Successfully tagged ${familiarString(tag)}\n`);
      }
      out.quietResult(imageId);
      this.host.log.debug({ ms: ms() }, 'build tagged');
    } catch (err) {
      out.releaseHeld();
      throw err instanceof BuildStepError || err instanceof EngineError
        ? err
        : new BuildStepError((err as Error).message ?? String(err));
    } finally {
      if (job) await this.removeLeftovers(job, opts);
      await context.remove();
      this.host.log.debug({ ms: ms() }, 'build finished');
      await this.cache
        .flush()
        .catch((err: unknown) => this.host.log.warn({ err }, 'could not write the build cache index'));
    }
  }

  /** Containers a failed or cancelled step left behind, removed unless --rm=false keeps them. */
  private async removeLeftovers(job: BuildJob, opts: BuildOptions): Promise<void> {
    if (!opts.remove && !opts.forceRemove && !job.signal.aborted) return;
    for (const id of job.containers) {
      await this.host.containers
        .remove(id, { force: true, volumes: true })
        .catch((err: unknown) => this.host.log.warn({ err, id }, 'could not remove a build container'));
    }
    job.containers.clear();
  }
}
