import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSpec, ensureWorkdir } from '../containers/spec.js';
import type { ContainerRecord } from '../containers/types.js';
import { writeJsonAtomic } from '../metadata/atomic.js';
import { isMountpoint, mountAll, unmount } from '../mount/mount.js';
import type { CreateTaskOptions } from '../runtime/types.js';
import type { Mount } from '../snapshots/types.js';
import type { ContainerCreateBody } from '../types/docker.js';
import type { ImageConfig } from '../types/oci.js';
import type { DaemonContext } from './context.js';
import type { NetworkOps } from './network.js';
import type { TaskPreparer } from './task.js';
import type { VolumeOps } from './volumes.js';

/**
 * Prepares a container's OCI bundle for each run: mounts the rootfs (the user and workdir are
 * resolved inside it), mounts and fills its volumes, brings its networking up (which writes
 * /etc/hostname, hosts and resolv.conf) and writes config.json. The rootfs stays mounted while
 * the task lives; it, the network and the volumes are released when the task is gone.
 */
export class BundlePreparer implements TaskPreparer {
  /** Endpoints still coming up for a prepared task (see ready()). */
  private readonly networkReady = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly network: NetworkOps,
    private readonly volumes: VolumeOps,
  ) {}

  bundlePath(c: ContainerRecord): string {
    return join(this.ctx.containers.dir(c.id), 'bundle');
  }

  rootfsPath(c: ContainerRecord): string {
    return join(this.bundlePath(c), 'rootfs');
  }

  async created(c: ContainerRecord, request: ContainerCreateBody): Promise<void> {
    await this.volumes.created(c);
    await this.network.created(c, request.NetworkingConfig?.EndpointsConfig);
  }

  async discarded(c: ContainerRecord): Promise<void> {
    await this.network.removed(c).catch(() => undefined);
    await this.volumes.discarded(c);
  }

  async prepare(c: ContainerRecord, image: ImageConfig): Promise<CreateTaskOptions> {
    const bundle = this.bundlePath(c);
    const rootfs = this.rootfsPath(c);
    // Networking does not need the rootfs: it comes up while the rootfs and volumes are mounted.
    const starting = this.network.start(c);
    starting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    let mounts: Mount[] = [];
    try {
      await mkdir(rootfs, { recursive: true });
      mounts = await this.ctx.snapshotter.mounts(c.id);
      if (!(await isMountpoint(rootfs))) await mountAll(mounts, rootfs);
    } catch (err) {
      // Settled before the caller releases the task, so nothing comes up after the release.
      await starting.catch(() => undefined);
      throw err;
    }
    try {
      const [volumes, network] = await Promise.allSettled([this.volumes.prepare(c, rootfs), starting]);
      if (volumes.status === 'rejected') throw volumes.reason;
      if (network.status === 'rejected') throw network.reason;
      const user = volumes.value;
      const net = network.value;
      this.networkReady.set(c.id, net.ready);
      const spec = await buildSpec({
        id: c.id,
        image: image.config,
        config: c.config,
        hostConfig: c.hostConfig,
        rootfsPath: rootfs,
        etcFiles: net.etcFiles,
        netnsPath: net.netnsPath ?? undefined,
        userMounts: user.mounts,
      });
      if (user.rootfsPropagation) spec.linux.rootfsPropagation = user.rootfsPropagation;
      await ensureWorkdir(rootfs, spec.process.cwd, spec.process.user.uid, spec.process.user.gid);
      await writeJsonAtomic(join(bundle, 'config.json'), spec);
    } catch (err) {
      await unmount(rootfs).catch(() => undefined);
      throw err;
    }
    return {
      id: c.id,
      bundle,
      rootfs: mounts,
      terminal: Boolean(c.config.Tty),
      stdin: Boolean(c.config.OpenStdin),
      // As moby's attach: StdinOnce closes stdin when the first client goes only without a TTY;
      // a TTY container's stdin stays open so `docker attach` works again after a detach.
      stdinOnce: Boolean(c.config.StdinOnce) && !c.config.Tty,
      logPath: c.logPath,
    };
  }

  /** Between `runc create` and `runc start`: the container's endpoints are up. */
  async ready(c: ContainerRecord): Promise<void> {
    const ready = this.networkReady.get(c.id);
    this.networkReady.delete(c.id);
    await ready;
  }

  async released(c: ContainerRecord): Promise<void> {
    this.networkReady.delete(c.id);
    const results = await Promise.allSettled([
      unmount(this.rootfsPath(c)),
      this.network.stop(c),
      this.volumes.released(c),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async removed(c: ContainerRecord, volumes: boolean): Promise<void> {
    await unmount(this.rootfsPath(c)).catch(() => undefined);
    await rm(this.bundlePath(c), { recursive: true, force: true });
    await this.network.removed(c);
    await this.volumes.removed(c, volumes);
  }
}
