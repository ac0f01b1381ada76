import { randomBytes } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageWithConfig } from '../images/types.js';
import { mountAll, unmount } from '../mount/mount.js';
import type { BuildHost } from './types.js';

export interface MountedRootfs {
  /** Snapshot key (for `images.commit`). */
  key: string;
  /** Where the root is mounted on the host. */
  dir: string;
  /** Unmount, keeping the snapshot for a commit. */
  unmount(): Promise<void>;
  /** Unmount and remove the snapshot. */
  discard(): Promise<void>;
}

/**
 * Mounted roots for the steps that change files without running anything (COPY, ADD, WORKDIR)
 * and read-only views of other stages for COPY --from. The snapshotter only returns mount
 * specs; mounting here is the builder's job, as it is the bundle preparer's for containers.
 */
export class BuildMounts {
  constructor(
    private readonly host: BuildHost,
    private readonly mountRoot: string,
  ) {}

  /** A writable snapshot over `imageId` (or empty for scratch), mounted. */
  async writable(imageId: string | undefined): Promise<MountedRootfs> {
    const key = `build-${randomBytes(8).toString('hex')}`;
    const mounts = imageId
      ? await this.host.images.prepareRootfs(imageId, key)
      : await this.host.snapshotter.prepare(key);
    return this.mount(key, mounts);
  }

  /** A read-only view of an image's root, mounted. */
  async view(image: ImageWithConfig): Promise<MountedRootfs> {
    const key = `build-view-${randomBytes(8).toString('hex')}`;
    const top = image.chainIds[image.chainIds.length - 1];
    const mounts = await this.host.snapshotter.view(key, top);
    return this.mount(key, mounts);
  }

  private async mount(
    key: string,
    mounts: Awaited<ReturnType<BuildHost['snapshotter']['view']>>,
  ): Promise<MountedRootfs> {
    const dir = join(this.mountRoot, key);
    const snapshotter = this.host.snapshotter;
    const removeSnapshot = () => snapshotter.remove(key).catch(() => undefined);
    try {
      await mkdir(dir, { recursive: true });
      await mountAll(mounts, dir);
    } catch (err) {
      await unmount(dir).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
      await removeSnapshot();
      throw err;
    }
    let mounted = true;
    const unmountOnce = async () => {
      if (!mounted) return;
      mounted = false;
      await unmount(dir);
      await rmdir(dir).catch(() => undefined);
    };
    return {
      key,
      dir,
      unmount: unmountOnce,
      discard: async () => {
        await unmountOnce().catch(() => undefined);
        await removeSnapshot();
      },
    };
  }
}
