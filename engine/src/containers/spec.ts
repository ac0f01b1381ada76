import { hostname as osHostname } from 'node:os';
import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import type { ContainerConfig, HostConfig } from '../types/docker.js';
import type { ImageConfigSection } from '../types/oci.js';
import { containerEnv, mergeImageDefaults, processArgv } from './spec-config.js';
import { DEFAULT_SHM_SIZE, defaultMounts, MASKED_PATHS, READONLY_PATHS } from './spec-defaults.js';
import { capabilities, hostDevices, isCgroupV2, resources, rlimits, userDevices } from './spec-linux.js';
import { type EtcFiles, etcMounts, userMounts } from './spec-mounts.js';
import type { NamespaceType, OciMount, OciSpec } from './spec-types.js';
import { resolveUser } from './user.js';

export { mergeImageDefaults, processArgv, replaceOrAppendEnv } from './spec-config.js';
export { type EtcFileOptions, writeEtcFiles } from './spec-etc.js';
export type { EtcFiles } from './spec-mounts.js';
export { ensureWorkdir, resolveInRoot } from './spec-rootfs.js';
export type { OciSpec } from './spec-types.js';

/**
 * containers/spec: a container's OCI runtime spec (the bundle's config.json), built the way
 * dockerd builds it (daemon/oci_linux.go) from the image config, the container config and the
 * host config.
 */
export interface SpecInput {
  id: string;
  /** The image config's `config` section (Entrypoint, Cmd, Env, User, WorkingDir, …). */
  image?: ImageConfigSection;
  /** The container config as requested, or already merged with the image (merging is idempotent). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The container's rootfs, mounted: --user is resolved against its /etc/passwd and /etc/group. */
  rootfsPath: string;
  /** Files from writeEtcFiles(), bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles?: EtcFiles;
  /** Network namespace to join (networking's hook); default: a new, empty one. */
  netnsPath?: string;
  /**
   * The user's mounts already resolved (volumes, binds, tmpfs: the daemon's volume side);
   * default: HostConfig Binds/Mounts/Tmpfs parsed here, which knows no volumes.
   */
  userMounts?: OciMount[];
  /** cgroup parent; the container's cgroup is `/<cgroupParent>/<id>`. Default "berth". */
  cgroupParent?: string;
}

export async function buildSpec(input: SpecInput): Promise<OciSpec> {
  const hc = input.hostConfig;
  const config = mergeImageDefaults(input.config, input.image);
  const args = processArgv(config);
  const hostNetwork = hc.NetworkMode === 'host';
  const hostUts = hc.UTSMode === 'host';
  const hostname = config.Hostname || (hostNetwork || hostUts ? osHostname() : input.id.slice(0, 12));
  const workdir = posix.normalize(config.WorkingDir || '/');
  if (!workdir.startsWith('/')) {
    throw new EngineError(
      'BAD_PARAMETER',
      `the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`,
    );
  }
  const user = await resolveUser(input.rootfsPath, config.User, hc.GroupAdd ?? []);
  const caps = await capabilities(hc);
  const custom = await userDevices(hc);
  const privileged = hc.Privileged === true;

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: config.Tty === true,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}),
      },
      args,
      env: containerEnv(config, hostname),
      cwd: workdir,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: noNewPrivileges(hc.SecurityOpt ?? []),
    },
    root: { path: 'rootfs', readonly: hc.ReadonlyRootfs === true },
    mounts: await mounts(input, privileged),
    linux: {
      namespaces: namespaces(hc, input.netnsPath, await isCgroupV2()),
      cgroupsPath: `/${input.cgroupParent ?? 'berth'}/${input.id}`,
      resources: await resources(hc, custom.rules),
      ...(privileged ? {} : { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
    },
  };
  const limits = await rlimits(hc);
  if (limits.length > 0) spec.process.rlimits = limits;
  // A hostname needs a UTS namespace of its own; with the host's, runc refuses to set one.
  if (!hostUts) spec.hostname = hostname;
  if (!hostUts && config.Domainname) spec.domainname = config.Domainname;
  const devices = privileged ? await hostDevices() : custom.devices;
  if (devices.length > 0) spec.linux.devices = devices;
  if (hc.Sysctls && Object.keys(hc.Sysctls).length > 0) spec.linux.sysctl = { ...hc.Sysctls };
  if (config.Labels && Object.keys(config.Labels).length > 0) spec.annotations = { ...config.Labels };
  return spec;
}

async function mounts(input: SpecInput, privileged: boolean): Promise<OciMount[]> {
  const hc = input.hostConfig;
  const user = input.userMounts ?? (await userMounts(hc));
  const taken = new Set(user.map((m) => m.destination));
  let defaults = defaultMounts({ shmSize: hc.ShmSize || DEFAULT_SHM_SIZE, privileged }).filter(
    (m) => !taken.has(m.destination),
  );
  if (hc.IpcMode === 'host') {
    // The host's IPC namespace comes with the host's shm and mqueue.
    defaults = defaults
      .filter((m) => m.destination !== '/dev/mqueue')
      .map((m) =>
        m.destination === '/dev/shm'
          ? { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate', 'rw'] }
          : m,
      );
  }
  const etc = input.etcFiles ? etcMounts(input.etcFiles, hc.ReadonlyRootfs === true, taken) : [];
  return [...defaults, ...user, ...etc];
}

function namespaces(hc: HostConfig, netnsPath: string | undefined, cgroupV2: boolean): OciSpec['linux']['namespaces'] {
  const out: OciSpec['linux']['namespaces'] = [{ type: 'mount' }];
  const add = (type: NamespaceType, mode: string | undefined) => {
    if (mode === 'host') return;
    if (mode?.startsWith('container:'))
      throw new EngineError('NOT_IMPLEMENTED', `--${type === 'network' ? 'network' : type} container:…`);
    out.push({ type });
  };
  if (hc.NetworkMode !== 'host') {
    if (netnsPath) out.push({ type: 'network', path: netnsPath });
    else if (hc.NetworkMode?.startsWith('container:'))
      throw new EngineError('NOT_IMPLEMENTED', '--network container:…');
    else out.push({ type: 'network' });
  }
  add('uts', hc.UTSMode);
  add('pid', hc.PidMode);
  add('ipc', hc.IpcMode);
  // dockerd's default cgroupns: private on cgroup v2, the host's on v1.
  if (cgroupV2) out.push({ type: 'cgroup' });
  return out;
}

function noNewPrivileges(securityOpt: string[]): boolean {
  for (const opt of securityOpt) {
    if (opt === 'no-new-privileges' || opt === 'no-new-privileges:true' || opt === 'no-new-privileges=true')
      return true;
  }
  return false;
}
