import type { Json, VolumeBackend } from '../api/backend.js';
import type { ContainerRecord } from '../containers/types.js';
import {
  type CreateVolumeOptions,
  type OciMount,
  ociMounts,
  populateVolumes,
  prepareMounts,
  releaseMounts,
  removeAnonymousVolumes,
  resolveMounts,
  VolumeStore,
} from '../volumes/index.js';
import type { DaemonContext } from './context.js';

/**
 * The daemon's side of volumes: the `docker volume` API, and each container's mounts from
 * create (resolve, create named and anonymous volumes) through every run (mount, copy-up,
 * release) to removal (`rm -v` and `--rm` take the anonymous ones along).
 */
export class VolumeOps {
  readonly store: VolumeStore;
  /** Volumes each create made, to remove again if the create fails (kept until first start or removal). */
  private readonly pending = new Map<string, string[]>();

  constructor(private readonly ctx: DaemonContext) {
    // A container being removed no longer holds its volumes (rm -v removes them just before it goes).
    this.store = new VolumeStore(ctx.root, (name) =>
      ctx.containers
        .all()
        .filter((c) => c.state.Status !== 'removing' && c.mountPoints.some((m) => m.Name === name))
        .map((c) => c.id),
    );
  }

  init(): Promise<void> {
    return this.store.init();
  }

  /** At create: the container's MountPoints (record.config is already merged with the image's VOLUMEs). */
  async created(c: ContainerRecord): Promise<void> {
    const resolved = await resolveMounts(this.store, c.hostConfig, undefined, c.config, {
      volumesFrom: (ref) => this.ctx.containers.find(ref)?.mountPoints,
    });
    c.mountPoints = resolved.mountPoints;
    this.pending.set(c.id, resolved.created);
    for (const name of resolved.created) this.publish('create', name);
  }

  /** The create failed after created(): remove the volumes it made. */
  async discarded(c: ContainerRecord): Promise<void> {
    const names = this.pending.get(c.id) ?? [];
    this.pending.delete(c.id);
    c.mountPoints = [];
    for (const name of names) {
      await this.store.remove(name, { force: true }).catch(() => undefined);
      this.publish('destroy', name);
    }
  }

  /**
   * Before the task is created, with the rootfs mounted at `rootfs`: mount device volumes, make
   * missing `-v` host directories, copy the image's content into empty volumes (copy-up works
   * on the host's view of the rootfs, which the container's own mounts do not change), and
   * return the OCI mounts.
   */
  async prepare(c: ContainerRecord, rootfs: string): Promise<{ mounts: OciMount[]; rootfsPropagation?: string }> {
    this.pending.delete(c.id);
    await prepareMounts(this.store, c.id, c.mountPoints, c.hostConfig);
    await populateVolumes(this.store, c.mountPoints, c.hostConfig, rootfs);
    return ociMounts(c.mountPoints, c.hostConfig);
  }

  released(c: ContainerRecord): Promise<void> {
    return releaseMounts(this.store, c.id, c.mountPoints);
  }

  /** `docker rm -v`, and `--rm` as dockerd does it: anonymous volumes go, named ones stay. */
  async removed(c: ContainerRecord, volumes: boolean): Promise<void> {
    this.pending.delete(c.id);
    if (!volumes && !c.hostConfig.AutoRemove) return;
    for (const name of await removeAnonymousVolumes(this.store, c.mountPoints)) this.publish('destroy', name);
  }

  private publish(action: string, name: string): void {
    this.ctx.events.publish('volume', action, name, { driver: 'local' });
  }

  /** The `docker volume` part of the Backend. */
  backend(): VolumeBackend {
    const s = this.store;
    return {
      volumeList: async (filters) => ({ Volumes: await s.list(filters), Warnings: [] }),
      volumeCreate: async (body) => {
        const opts = body as CreateVolumeOptions;
        const existed = opts.Name ? s.get(opts.Name) !== undefined : false;
        const v = await s.create(opts);
        if (!existed) this.publish('create', v.Name);
        return v as unknown as Json;
      },
      volumeInspect: async (name) => s.inspect(name) as unknown as Json,
      volumeRemove: async (name, force) => {
        const existed = s.get(name) !== undefined;
        await s.remove(name, { force });
        if (existed) this.publish('destroy', name);
      },
      volumePrune: async (filters) => {
        const out = await s.prune(filters);
        for (const name of out.VolumesDeleted) this.publish('destroy', name);
        this.ctx.events.publish('volume', 'prune', '', { reclaimed: String(out.SpaceReclaimed) });
        return out;
      },
    };
  }
}
