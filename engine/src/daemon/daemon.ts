import { join } from 'node:path';
import type { Backend, Json } from '../api/backend.js';
import { buildBackend } from '../build/index.js';
import { ContainerStore } from '../containers/store.js';
import { Distribution } from '../distribution/index.js';
import { EngineError } from '../errors.js';
import { createImageService } from '../images/service.js';
import type { Logger } from '../log.js';
import { ConmonRuntime } from '../runtime/index.js';
import { ContainerArchive } from './archive.js';
import { AttachManager } from './attach.js';
import { BundlePreparer } from './bundle.js';
import type { DaemonContext } from './context.js';
import { EventBus } from './events.js';
import { ExecManager, execBackendOf } from './exec.js';
import { HealthMonitor } from './health.js';
import { ImageOps, type RegistryOps } from './images.js';
import { ContainerLifecycle } from './lifecycle.js';
import { NetworkOps, type NetworkOptions } from './network.js';
import { ContainerQueries } from './queries.js';
import { type RecordingConfig, SessionRecorder } from './recording.js';
import { RestartManager } from './restart.js';
import { StatsOps } from './stats.js';
import { SystemInfo } from './system.js';
import { VolumeOps } from './volumes.js';

export interface DaemonOptions {
  dataRoot: string;
  log: Logger;
  /** OCI runtime binary (runc by default; crun where the cgroup setup allows). */
  runtimePath?: string;
  /** dockerd's certs.d layout for registry CAs and client certs. */
  certsDir?: string;
  /** Record every exec/attach session as asciicast (berthd --record-sessions). */
  recordSessions?: RecordingConfig;
  /** The default bridge and address pools (defaults: see NetworkOps). */
  network?: NetworkOptions;
}

/** What Daemon.open() initializes before the daemon is put together. */
interface DaemonParts {
  registry: RegistryOps | undefined;
  network: NetworkOps;
  volumes: VolumeOps;
  runtimePath?: string;
}

/**
 * The engine: owns the stores, the runtime and the event bus, and exposes them to the API as one
 * Backend (moby's daemon). Each concern lives in its own class; this file only wires them.
 */
export class Daemon {
  readonly ctx: DaemonContext;
  readonly lifecycle: ContainerLifecycle;
  readonly queries: ContainerQueries;
  readonly attach: AttachManager;
  readonly archive: ContainerArchive;
  readonly imageOps: ImageOps;
  readonly system: SystemInfo;
  readonly bundles: BundlePreparer;
  readonly execs: ExecManager;
  readonly network: NetworkOps;
  readonly volumes: VolumeOps;
  readonly stats: StatsOps;
  readonly restarts: RestartManager;
  readonly health: HealthMonitor;

  private constructor(ctx: DaemonContext, parts: DaemonParts) {
    this.ctx = ctx;
    this.network = parts.network;
    this.volumes = parts.volumes;
    this.attach = new AttachManager(ctx);
    this.bundles = new BundlePreparer(ctx, this.network, this.volumes);
    this.lifecycle = new ContainerLifecycle(ctx, this.attach, this.bundles);
    this.queries = new ContainerQueries(ctx, (c) => this.lifecycle.exitOf(c));
    this.archive = new ContainerArchive(ctx, (c) => this.bundles.rootfsPath(c));
    this.imageOps = new ImageOps(ctx, parts.registry);
    this.system = new SystemInfo(ctx, { runtimeName: ctx.runtime.name });
    this.execs = new ExecManager(ctx, (c) => this.bundles.bundlePath(c));
    // runc keeps its state under the runtime's root (see runtime/layout.ts).
    this.stats = new StatsOps(ctx, this.network, { root: join(ctx.root, 'runtime', 'runc'), runc: parts.runtimePath });
    this.restarts = new RestartManager(ctx, this.lifecycle);
    this.health = new HealthMonitor(ctx, this.execs);
    const l = this.lifecycle;
    l.onStarted = (c) => this.health.started(c);
    l.onStopped = (c) => {
      this.health.stopped(c);
      this.restarts.stopped(c);
    };
    l.cancelRestart = (c) => this.restarts.cancel(c);
    l.oomKilled = (c) => this.stats.oomKilled(c);
    this.queries.decorate = (c, out) => {
      const settings = this.network.settings(c);
      if (settings) out.NetworkSettings = settings;
    };
  }

  static async open(opts: DaemonOptions): Promise<Daemon> {
    const root = opts.dataRoot;
    const log = opts.log;
    const runtime = new ConmonRuntime({ root: join(root, 'runtime'), runtimePath: opts.runtimePath, log });
    await runtime.checkDependencies();
    const containers = new ContainerStore(join(root, 'containers'));
    const images = await createImageService(root, log, (imageId) => {
      const users = containers.all().filter((c) => c.imageId === imageId);
      const user = users.find((c) => c.state.Running) ?? users[0];
      return user && { containerId: user.id, running: user.state.Running };
    });
    await containers.load();
    const { content, snapshotter } = images;
    const ctx: DaemonContext = { root, log, containers, content, images, snapshotter, runtime, events: new EventBus() };
    const distribution = new Distribution({
      content,
      images,
      log,
      certsDir: opts.certsDir,
      stateDir: join(root, 'distribution'),
    });
    const volumes = new VolumeOps(ctx);
    await volumes.init();
    const network = new NetworkOps(ctx, { log, ...opts.network });
    await network.init();
    const daemon = new Daemon(ctx, {
      registry: distribution.registryOps(),
      network,
      volumes,
      runtimePath: opts.runtimePath,
    });
    if (opts.recordSessions)
      daemon.execs.recorder = daemon.attach.recorder = new SessionRecorder(opts.recordSessions, log);
    // Running tasks are watched again; ones that exited meanwhile go through their restart policy.
    await ctx.runtime.recover?.();
    await daemon.lifecycle.restore();
    daemon.restarts.restore();
    for (const c of containers.all()) if (c.state.Running) daemon.health.started(c);
    return daemon;
  }

  /** The Docker API's view of the engine. */
  backend(): Backend {
    const l = this.lifecycle;
    const q = this.queries;
    const a = this.archive;
    const i = this.imageOps;
    const s = this.system;
    return {
      apiVersion: s.apiVersion,
      minApiVersion: s.minApiVersion,
      version: () => s.version(),
      info: () => s.info(),
      diskUsage: () => s.diskUsage(),
      events: (o, sig) => s.events(o, sig),
      containerCreate: (b, n) => l.create(b, n),
      containerList: (o) => q.list(o),
      containerInspect: (r, size) => this.execs.withExecIds(q.inspect(r, size)),
      containerIsTty: (r) => Boolean(this.ctx.containers.get(r).config.Tty),
      containerStart: (r) => this.restarts.manual(r, () => l.start(r)),
      containerStop: (r, o) => l.stop(r, o),
      containerRestart: (r, o) => this.restarts.manual(r, () => l.restart(r, o)),
      containerKill: (r, sig) => l.kill(r, sig),
      containerPause: (r) => l.pause(r),
      containerUnpause: (r) => l.unpause(r),
      containerRemove: (r, o) => l.remove(r, o),
      containerWait: (r, c) => l.wait(r, c),
      containerRename: async (r, n) => {
        const c = this.ctx.containers.get(r);
        await l.rename(c.id, n);
        await this.network.renamed(c);
      },
      containerTop: (r, ps) => q.top(r, ps),
      containerLogs: (r, o, sig) => q.logs(r, o, sig),
      containerAttach: (r, o, io) => this.attach.attach(this.ctx.containers.get(r), o, io),
      containerResize: async (r, size) => {
        const c = this.ctx.containers.get(r);
        if (!c.state.Running) throw new EngineError('NOT_RUNNING', c.id);
        await this.ctx.runtime.resize(c.id, size);
      },
      containerArchiveStat: (r, p) => a.stat(r, p),
      containerArchiveGet: (r, p) => a.get(r, p),
      containerArchivePut: (r, p, t, o) => a.put(r, p, t, o),
      containerExport: (r) => a.export(r),
      containerChanges: (r) => a.changes(r),
      containerPrune: (f) => this.prune(f),
      containerStats: (r, o, sig) => this.stats.stats(r, o, sig),
      containerUpdate: (r, u) => this.stats.update(r, u),
      imageList: (o) => i.imageList(o),
      imageInspect: (r) => i.imageInspect(r),
      imageHistory: (r) => i.imageHistory(r),
      imageImport: (t, o, p) => i.imageImport(t, o, p),
      imageLoad: (t, p) => i.imageLoad(t, p),
      imageSave: (r) => i.imageSave(r),
      imageTag: (r, repo, tag) => i.imageTag(r, repo, tag),
      imageRemove: (r, o) => i.imageRemove(r, o),
      imagePrune: (f) => i.imagePrune(f),
      imagePull: (r, o, p, sig) => i.imagePull(r, o, p, sig),
      imagePush: (r, o, p, sig) => i.imagePush(r, o, p, sig),
      registryLogin: (auth) => i.registryLogin(auth),
      ...this.volumes.backend(),
      ...this.network.backend(),
      ...buildBackend(this),
      ...execBackendOf(this.execs),
    };
  }

  private async prune(
    filters: Record<string, string[]>,
  ): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const until = filters.until?.[0];
    const cutoff = until ? (/^\d+$/.test(until) ? Number(until) * 1000 : Date.now() - parseDuration(until)) : Infinity;
    const labels = filters.label ?? [];
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.ctx.containers.all()) {
      if (c.state.Running || Date.parse(c.created) >= cutoff) continue;
      const ls = c.config.Labels ?? {};
      if (
        !labels.every((l) =>
          l.includes('=') ? ls[l.split('=')[0] ?? ''] === l.split('=').slice(1).join('=') : l in ls,
        )
      )
        continue;
      reclaimed += (await this.ctx.snapshotter.usage(c.id).catch(() => ({ size: 0 }))).size;
      await this.lifecycle.remove(c.id, { force: false, volumes: false });
      deleted.push(c.id);
    }
    this.ctx.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** Stop serving; running containers are left running (live restore). */
  async close(): Promise<void> {
    this.restarts.close();
    this.health.close();
    await this.lifecycle.settle();
    await this.network.close();
    this.ctx.log.info({ running: this.ctx.containers.all().filter((c) => c.state.Running).length }, 'daemon closed');
  }
}

/** Go duration strings as `until` filters use them: "10m", "1h30m", "24h". */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    matched += m[0];
  }
  if (matched !== text) throw new EngineError('BAD_PARAMETER', `invalid duration: ${text}`);
  return total;
}

export type { Json };
