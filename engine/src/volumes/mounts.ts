import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import type { ContainerConfig, HostConfig, MountPoint } from '../types/docker.js';
import { copyUp } from './copy-up.js';
import {
  DEFAULT_PROPAGATION,
  mergeTmpfsOptions,
  type ParsedMount,
  parseBind,
  parseMountSpec,
  validateDestination,
  validateTmpfsData,
} from './parse.js';
import type { VolumeStore } from './store.js';

/** One entry of the OCI runtime spec's `mounts`. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface ResolveMountsOptions {
  /** `--volumes-from`: the MountPoints of another container by ID or name (undefined: no such container). */
  volumesFrom?: (idOrName: string) => MountPoint[] | undefined;
  /** Labels for anonymous volumes this container creates. */
  anonymousLabels?: Record<string, string>;
}

export interface ResolvedMounts {
  /** The container's `Mounts` (inspect shape); the daemon stores them with the container. */
  mountPoints: MountPoint[];
  /** The user mounts for the OCI spec (volumes, binds, tmpfs), parents before children. */
  ociMounts: OciMount[];
  /** Set on `linux.rootfsPropagation` when a bind asks for shared/slave propagation. */
  rootfsPropagation?: 'shared' | 'rslave';
  /** Volumes created by this call (to remove again when container create fails). */
  created: string[];
}

const duplicate = (dest: string) => new EngineError('BAD_PARAMETER', `Duplicate mount point: ${dest}`);

/**
 * Resolve a container's mounts at create time, as moby's registerMountPoints and
 * createContainerOSSpecificSettings do: --volumes-from, then -v (HostConfig.Binds), then
 * --mount (HostConfig.Mounts), each destination at most once (also against --tmpfs);
 * then every image VOLUME (and `-v /path`, which the CLI sends in Config.Volumes) that no mount
 * covers becomes an anonymous volume. Named volumes are created when missing.
 */
export async function resolveMounts(
  store: VolumeStore,
  hostConfig: HostConfig,
  imageVolumes: Record<string, object> | null | undefined,
  config: Pick<ContainerConfig, 'Volumes'>,
  opts: ResolveMountsOptions = {},
): Promise<ResolvedMounts> {
  const tmpfsDests = new Set<string>();
  for (const [dest, data] of Object.entries(hostConfig.Tmpfs ?? {})) {
    validateDestination(dest);
    validateTmpfsData(data);
    tmpfsDests.add(posix.normalize(dest));
  }
  const byDest = new Map<string, ParsedMount | MountPoint>();
  for (const ref of hostConfig.VolumesFrom ?? []) {
    const [id = '', mode = ''] = ref.split(':');
    if (mode && mode !== 'ro' && mode !== 'rw') throw new EngineError('BAD_PARAMETER', `invalid mode: ${mode}`);
    const mps = opts.volumesFrom?.(id);
    if (!mps) throw new EngineError('NO_SUCH_CONTAINER', id);
    for (const mp of mps) {
      if (mp.Type === 'tmpfs') continue;
      byDest.set(mp.Destination, { ...mp, RW: mode ? mode === 'rw' : mp.RW, Mode: mode || mp.Mode });
    }
  }
  const binds = new Set<string>();
  for (const raw of hostConfig.Binds ?? []) {
    const m = parseBind(raw);
    if (binds.has(m.destination) || tmpfsDests.has(m.destination)) throw duplicate(m.destination);
    binds.add(m.destination);
    byDest.set(m.destination, m);
  }
  for (const spec of hostConfig.Mounts ?? []) {
    const m = parseMountSpec(spec, (p) => existsSync(p));
    if (binds.has(m.destination) || tmpfsDests.has(m.destination)) throw duplicate(m.destination);
    binds.add(m.destination);
    byDest.set(m.destination, m);
  }
  // Image volumes and Config.Volumes: anonymous unless something already sits exactly there.
  for (const raw of Object.keys({ ...(imageVolumes ?? {}), ...(config.Volumes ?? {}) })) {
    validateDestination(raw);
    const dest = posix.normalize(raw).replace(/(.)\/$/, '$1');
    if (byDest.has(dest) || tmpfsDests.has(dest)) continue;
    byDest.set(dest, {
      type: 'volume',
      source: '',
      destination: dest,
      rw: true,
      mode: '',
      propagation: '',
      copyData: true,
      origin: 'volumes',
    });
  }

  const created: string[] = [];
  const mountPoints: MountPoint[] = [];
  try {
    for (const m of byDest.values()) {
      if (!('type' in m)) {
        mountPoints.push(m);
        continue;
      }
      mountPoints.push(await toMountPoint(store, m, created, opts.anonymousLabels));
    }
  } catch (err) {
    for (const name of created) await store.remove(name, { force: true }).catch(() => undefined);
    throw err;
  }
  mountPoints.sort((a, b) => a.Destination.localeCompare(b.Destination));
  const { mounts, rootfsPropagation } = ociMounts(mountPoints, hostConfig);
  return { mountPoints, ociMounts: mounts, rootfsPropagation, created };
}

async function toMountPoint(
  store: VolumeStore,
  m: ParsedMount,
  created: string[],
  anonymousLabels: Record<string, string> = {},
): Promise<MountPoint> {
  if (m.type === 'bind') {
    return {
      Type: 'bind',
      Source: m.source,
      Destination: m.destination,
      Mode: m.mode,
      RW: m.rw,
      Propagation: m.propagation,
    };
  }
  if (m.type === 'tmpfs') {
    return { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: m.rw, Propagation: '' };
  }
  let name = m.source;
  if (name === '') {
    name = (await store.createAnonymous(anonymousLabels)).Name;
    created.push(name);
  } else if (!store.get(name)) {
    await store.create({ Name: name, Driver: m.volumeDriver, Labels: m.volumeLabels, DriverOpts: m.volumeDriverOpts });
    created.push(name);
  }
  // moby sets mode "z" on local-driver volumes given through -v or --mount (setBindModeIfNull),
  // while image volumes keep "".
  const mode = m.origin === 'volumes' ? '' : m.mode || 'z';
  return {
    Type: 'volume',
    Name: name,
    Source: store.mountpoint(name),
    Destination: m.destination,
    Driver: 'local',
    Mode: mode,
    RW: m.rw,
    Propagation: '',
  };
}

/**
 * The OCI mounts for a container's MountPoints and --tmpfs, ordered so a parent directory is
 * mounted before anything inside it (moby's sortMounts by path depth).
 */
export function ociMounts(
  mountPoints: MountPoint[],
  hostConfig: Pick<HostConfig, 'Tmpfs' | 'Mounts'>,
): { mounts: OciMount[]; rootfsPropagation?: 'shared' | 'rslave' } {
  const mounts: OciMount[] = [];
  let rootfsPropagation: 'shared' | 'rslave' | undefined;
  const tmpfsData = new Map<string, string>();
  for (const spec of hostConfig.Mounts ?? []) {
    if (spec.Type === 'tmpfs') {
      const parsed = parseMountSpec(spec, () => true);
      tmpfsData.set(parsed.destination, parsed.tmpfsData ?? '');
    }
  }
  for (const mp of mountPoints) {
    if (mp.Type === 'tmpfs') {
      mounts.push(tmpfsMount(mp.Destination, tmpfsData.get(mp.Destination) ?? (mp.RW ? '' : 'ro')));
      continue;
    }
    const propagation = mp.Propagation || DEFAULT_PROPAGATION;
    if (propagation.endsWith('shared')) rootfsPropagation = 'shared';
    else if (propagation.endsWith('slave') && rootfsPropagation !== 'shared') rootfsPropagation = 'rslave';
    mounts.push({
      destination: mp.Destination,
      type: 'bind',
      source: mp.Source,
      options: ['rbind', mp.RW ? 'rw' : 'ro', propagation],
    });
  }
  for (const [dest, data] of Object.entries(hostConfig.Tmpfs ?? {}))
    mounts.push(tmpfsMount(posix.normalize(dest), data));
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
  return { mounts, rootfsPropagation };
}

/** tmpfs as moby mounts it: noexec,nosuid,nodev and rprivate unless the user's data says otherwise. */
function tmpfsMount(destination: string, data: string): OciMount {
  const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION, ...data.split(',')]);
  return { destination, type: 'tmpfs', source: 'tmpfs', options };
}

/**
 * Before the container starts: create missing host directories for `-v` binds (Docker does,
 * `--mount` binds must already exist) and mount volumes that have device options.
 */
export async function prepareMounts(
  store: VolumeStore,
  containerId: string,
  mountPoints: MountPoint[],
  hostConfig: HostConfig,
): Promise<void> {
  const vBinds = new Set(
    (hostConfig.Binds ?? [])
      .map((b) => parseBind(b))
      .filter((m) => m.type === 'bind')
      .map((m) => m.destination),
  );
  for (const mp of mountPoints) {
    if (mp.Type === 'bind' && vBinds.has(mp.Destination) && !existsSync(mp.Source)) {
      await mkdir(mp.Source, { recursive: true, mode: 0o755 });
    }
    if (mp.Type === 'volume' && mp.Name) await store.mount(mp.Name, containerId);
  }
}

/**
 * After the runtime has created the task (its rootfs is mounted at `rootfs`) and before it
 * starts: copy the image's content into empty volumes, unless `nocopy` was asked for.
 */
export async function populateVolumes(
  store: VolumeStore,
  mountPoints: MountPoint[],
  hostConfig: HostConfig,
  rootfs: string,
): Promise<void> {
  const noCopy = new Set<string>();
  for (const b of hostConfig.Binds ?? []) {
    const m = parseBind(b);
    if (!m.copyData) noCopy.add(m.destination);
  }
  for (const spec of hostConfig.Mounts ?? []) {
    if (spec.Type === 'volume' && spec.VolumeOptions?.NoCopy) noCopy.add(posix.normalize(spec.Target));
  }
  for (const mp of mountPoints) {
    if (mp.Type !== 'volume' || !mp.Name || noCopy.has(mp.Destination)) continue;
    await copyUp(store.mountpoint(mp.Name), rootfs, mp.Destination);
  }
}

/** After the container stopped: unmount device-option volumes it held. */
export async function releaseMounts(store: VolumeStore, containerId: string, mountPoints: MountPoint[]): Promise<void> {
  for (const mp of mountPoints) if (mp.Type === 'volume' && mp.Name) await store.unmount(mp.Name, containerId);
}

/**
 * `docker rm -v` and `--rm`: remove the container's anonymous volumes (named ones stay). A volume
 * another container still uses is kept, as Docker does. Call after the container is forgotten
 * by the refs callback. Returns the removed names.
 */
export async function removeAnonymousVolumes(store: VolumeStore, mountPoints: MountPoint[]): Promise<string[]> {
  const removed: string[] = [];
  for (const mp of mountPoints) {
    if (mp.Type !== 'volume' || !mp.Name || !store.isAnonymous(mp.Name)) continue;
    try {
      await store.remove(mp.Name);
      removed.push(mp.Name);
    } catch (err) {
      if (!(err instanceof EngineError && (err.code === 'CONFLICT' || err.code === 'NO_SUCH_VOLUME'))) throw err;
    }
  }
  return removed;
}
