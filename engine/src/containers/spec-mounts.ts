import { mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import type { HostConfig, MountSpec } from '../types/docker.js';
import type { OciMount } from './spec-types.js';

/**
 * Mounts the user asked for (Binds, Mounts, Tmpfs) in OCI form, with moby's parsing and option
 * rules (volume/mounts/linux_parser.go, pkg/mount MergeTmpfsOptions). Named volumes come later.
 */

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const DEFAULT_PROPAGATION = 'rprivate';

/** Mount-flag options that cancel each other (same MS_* flag); propagation modes form one group. */
const FLAG_GROUPS: string[][] = [
  ['ro', 'rw'],
  ['suid', 'nosuid'],
  ['dev', 'nodev'],
  ['exec', 'noexec'],
  ['sync', 'async'],
  ['dirsync'],
  ['remount'],
  ['mand', 'nomand'],
  ['atime', 'noatime'],
  ['diratime', 'nodiratime'],
  ['bind'],
  ['rbind'],
  ['relatime', 'norelatime'],
  ['strictatime', 'nostrictatime'],
  ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'],
];
const FLAG_KEY = new Map(FLAG_GROUPS.flatMap((group, i) => group.map((o) => [o, i] as const)));
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** moby's MergeTmpfsOptions: the last of conflicting options wins, order otherwise kept. */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seenFlags = new Set<number>();
  const seenData = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i] as string;
    if (option === 'defaults' || option === '') continue;
    const flag = FLAG_KEY.get(option);
    if (flag !== undefined) {
      if (!seenFlags.has(flag)) {
        out.unshift(option);
        seenFlags.add(flag);
      }
      continue;
    }
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA.has(key)) throw new EngineError('BAD_PARAMETER', `invalid tmpfs option "${option}"`);
    if (!seenData.has(key)) {
      out.unshift(option);
      seenData.add(key);
    }
  }
  return out;
}

function tmpfsMount(destination: string, data: string[]): OciMount {
  const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION, ...data]);
  return { destination, type: 'tmpfs', source: 'tmpfs', options };
}

function bindMount(
  source: string,
  destination: string,
  readOnly: boolean,
  propagation: string,
  recursive = true,
): OciMount {
  return {
    destination,
    type: 'bind',
    source,
    options: [recursive ? 'rbind' : 'bind', propagation, readOnly ? 'ro' : 'rw'],
  };
}

function checkDestination(dest: string): string {
  if (!dest.startsWith('/'))
    throw new EngineError('BAD_PARAMETER', `invalid mount config: mount path must be absolute: ${dest}`);
  const clean = posix.normalize(dest);
  if (clean === '/') throw new EngineError('BAD_PARAMETER', "invalid specification: destination can't be '/'");
  return clean.length > 1 ? clean.replace(/\/$/, '') : clean;
}

/** `-v src:dst[:opts]`. A host path that does not exist is created as a directory, as dockerd does. */
async function parseBind(spec: string): Promise<OciMount> {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    if (parts.length === 1) throw new EngineError('NOT_IMPLEMENTED', `anonymous volume ${spec}`);
    throw new EngineError('BAD_PARAMETER', `invalid volume specification: '${spec}'`);
  }
  const [source = '', target = '', mode = ''] = parts;
  if (!source.startsWith('/')) throw new EngineError('NOT_IMPLEMENTED', `named volume ${source}`);
  let readOnly = false;
  let propagation = DEFAULT_PROPAGATION;
  for (const opt of mode.split(',').filter((o) => o !== '')) {
    if (opt === 'ro') readOnly = true;
    else if (opt === 'rw') readOnly = false;
    else if (PROPAGATIONS.has(opt)) propagation = opt;
    else if (
      opt === 'z' ||
      opt === 'Z' ||
      opt === 'nocopy' ||
      opt === 'consistent' ||
      opt === 'cached' ||
      opt === 'delegated'
    )
      continue;
    else throw new EngineError('BAD_PARAMETER', `invalid mode: ${opt}`);
  }
  await mkdir(source, { recursive: true, mode: 0o755 });
  return bindMount(posix.normalize(source), checkDestination(target), readOnly, propagation);
}

async function fromMountSpec(m: MountSpec): Promise<OciMount> {
  const target = checkDestination(m.Target);
  switch (m.Type) {
    case 'bind': {
      const source = m.Source ?? '';
      if (!source.startsWith('/'))
        throw new EngineError(
          'BAD_PARAMETER',
          `invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`,
        );
      try {
        await stat(source);
      } catch {
        throw new EngineError(
          'BAD_PARAMETER',
          `invalid mount config for type "bind": bind source path does not exist: ${source}`,
        );
      }
      const propagation = m.BindOptions?.Propagation || DEFAULT_PROPAGATION;
      if (!PROPAGATIONS.has(propagation))
        throw new EngineError('BAD_PARAMETER', `invalid propagation mode: ${propagation}`);
      return bindMount(posix.normalize(source), target, m.ReadOnly === true, propagation);
    }
    case 'tmpfs': {
      const data: string[] = [];
      if (m.TmpfsOptions?.SizeBytes) data.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) data.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      if (m.ReadOnly) data.push('ro');
      return tmpfsMount(target, data);
    }
    default:
      throw new EngineError('NOT_IMPLEMENTED', `mounts of type "${m.Type}"`);
  }
}

/** Every user mount in the order dockerd applies them: parents before children. */
export async function userMounts(hc: HostConfig): Promise<OciMount[]> {
  const mounts: OciMount[] = [];
  for (const b of hc.Binds ?? []) mounts.push(await parseBind(b));
  for (const m of hc.Mounts ?? []) mounts.push(await fromMountSpec(m));
  for (const [dest, opts] of Object.entries(hc.Tmpfs ?? {})) {
    mounts.push(tmpfsMount(checkDestination(dest), opts ? opts.split(',') : []));
  }
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new EngineError('BAD_PARAMETER', `Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return sortByDepth(mounts);
}

/** moby's sortMounts: by number of path components, stable. */
export function sortByDepth(mounts: OciMount[]): OciMount[] {
  const depth = (m: OciMount) => m.destination.split('/').length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i)
    .map(({ m }) => m);
}

export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** /etc/resolv.conf, /etc/hostname, /etc/hosts from the container dir, unless the user mounts them. */
export function etcMounts(files: EtcFiles, readOnlyRootfs: boolean, taken: Set<string>): OciMount[] {
  const pairs: [string, string][] = [
    ['/etc/resolv.conf', files.resolvConf],
    ['/etc/hostname', files.hostname],
    ['/etc/hosts', files.hosts],
  ];
  return pairs
    .filter(([dest]) => !taken.has(dest))
    .map(([dest, source]) => bindMount(source, dest, readOnlyRootfs, DEFAULT_PROPAGATION));
}
