import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSpec, ensureWorkdir, writeEtcFiles } from '../containers/spec.js';
import type { ContainerRecord } from '../containers/types.js';
import { writeJsonAtomic } from '../metadata/atomic.js';
import { isMountpoint, mountAll, unmount } from '../mount/mount.js';
import type { CreateTaskOptions } from '../runtime/types.js';
import type { ImageConfig } from '../types/oci.js';
import type { DaemonContext } from './context.js';
import type { TaskPreparer } from './task.js';

/**
 * Prepares a container's OCI bundle for each run: mounts the rootfs (the user and workdir are
 * resolved inside it), writes /etc/hostname, hosts, resolv.conf and config.json. The rootfs
 * stays mounted while the task lives and is unmounted when it is released.
 */
export class BundlePreparer implements TaskPreparer {
  constructor(private readonly ctx: DaemonContext) {}

  bundlePath(c: ContainerRecord): string {
    return join(this.ctx.containers.dir(c.id), 'bundle');
  }

  rootfsPath(c: ContainerRecord): string {
    return join(this.bundlePath(c), 'rootfs');
  }

  async prepare(c: ContainerRecord, image: ImageConfig): Promise<CreateTaskOptions> {
    const bundle = this.bundlePath(c);
    const rootfs = this.rootfsPath(c);
    await mkdir(rootfs, { recursive: true });
    const mounts = await this.ctx.snapshotter.mounts(c.id);
    if (!(await isMountpoint(rootfs))) await mountAll(mounts, rootfs);
    try {
      const etcFiles = await writeEtcFiles(this.ctx.containers.dir(c.id), {
        hostname: c.config.Hostname || c.id.slice(0, 12),
        domainname: c.config.Domainname,
        extraHosts: c.hostConfig.ExtraHosts ?? [],
        dns: c.hostConfig.Dns ?? [],
        dnsSearch: c.hostConfig.DnsSearch ?? [],
        dnsOptions: c.hostConfig.DnsOptions ?? [],
        networkMode: c.hostConfig.NetworkMode,
      });
      const spec = await buildSpec({
        id: c.id,
        image: image.config,
        config: c.config,
        hostConfig: c.hostConfig,
        rootfsPath: rootfs,
        etcFiles,
        netnsPath: c.networkSettings.SandboxKey || undefined,
      });
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
      stdinOnce: Boolean(c.config.StdinOnce),
      logPath: c.logPath,
    };
  }

  async released(c: ContainerRecord): Promise<void> {
    await unmount(this.rootfsPath(c));
  }

  async removed(c: ContainerRecord): Promise<void> {
    await unmount(this.rootfsPath(c)).catch(() => undefined);
    await rm(this.bundlePath(c), { recursive: true, force: true });
  }
}
