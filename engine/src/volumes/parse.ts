import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import type { MountSpec } from '../types/docker.js';

/**
 * `docker run -v` / `--mount` / `--tmpfs` parsing and validation, following moby's Linux
 * mount parser (volume/mounts/linux_parser.go): the same accepted forms, the same defaults,
 * the same error texts — clients and scripts match on those.
 */

/** One mount as the daemon understands it before volumes are created. */
export interface ParsedMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name ('' = anonymous volume), '' for tmpfs. */
  source: string;
  destination: string;
  rw: boolean;
  /** The raw mode text of a `-v` spec ('' for --mount); shown as MountPoint.Mode. */
  mode: string;
  /** Bind propagation ('rprivate' by default), '' for volumes and tmpfs. */
  propagation: string;
  /** Copy the image's content at the destination into the volume when it is empty. */
  copyData: boolean;
  /** Where it came from: -v binds create a missing host path, --mount binds must exist. */
  origin: 'binds' | 'mounts' | 'tmpfs' | 'volumes';
  /** tmpfs mount data (`size=…,mode=…`). */
  tmpfsData?: string;
  /** --mount type=volume volume-opt / labels, used when the volume is created. */
  volumeLabels?: Record<string, string>;
  volumeDriverOpts?: Record<string, string>;
  volumeDriver?: string;
}

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const COPY_MODES = new Set(['nocopy']);
export const DEFAULT_PROPAGATION = 'rprivate';

const bad = (message: string) => new EngineError('BAD_PARAMETER', message);
const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;

/** moby's ValidMountMode: comma-separated, each from a known set, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATION_MODES.has(o)) counts.propagation++;
    else if (COPY_MODES.has(o)) counts.copy++;
    else return false;
  }
  return counts.rw <= 1 && counts.label <= 1 && counts.propagation <= 1 && counts.copy <= 1;
}

function modeParts(mode: string): string[] {
  return mode === '' ? [] : mode.split(',');
}

function validateTarget(target: string): string | undefined {
  if (target === '') return 'field Target must not be empty';
  if (!posix.isAbsolute(target)) return `invalid mount path: '${target}' mount path must be absolute`;
  if (posix.normalize(target) === '/' || posix.normalize(target) === '//') {
    return "invalid specification: destination can't be '/'";
  }
  return undefined;
}

/** Validate a destination on its own (the keys of HostConfig.Tmpfs). */
export function validateDestination(target: string): void {
  const err = validateTarget(target);
  if (err) throw bad(err);
}

function clean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * moby's validateMountConfig for one --mount (HostConfig.Mounts entry). `bindSourceExists`
 * is asked only for binds and only when given (the API checks it at create time).
 */
export function validateMountSpec(m: MountSpec, bindSourceExists?: (path: string) => boolean): void {
  const fail = (msg: string): never => {
    throw bad(`invalid mount config for type "${m.Type}": ${msg}`);
  };
  const targetErr = validateTarget(m.Target ?? '');
  if (targetErr) fail(targetErr);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) fail('field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) fail(`invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) fail('field VolumeOptions must not be specified');
      if (!posix.isAbsolute(m.Source!)) fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
      if (bindSourceExists && !bindSourceExists(m.Source!)) fail(`bind source path does not exist: ${m.Source}`);
      break;
    }
    case 'volume':
      if (m.BindOptions) fail('field BindOptions must not be specified');
      if (!m.Source && m.ReadOnly) fail('must not set ReadOnly mode when using anonymous volumes');
      break;
    case 'tmpfs':
      if (m.BindOptions) fail('field BindOptions must not be specified');
      if (m.Source) fail('field Source must not be specified');
      tmpfsOptionsData(m.TmpfsOptions, m.ReadOnly ?? false);
      break;
    default:
      fail('mount type unknown');
  }
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export function isValidVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name);
}
export function invalidVolumeNameMessage(name: string): string {
  return `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
}

/** Parse one HostConfig.Binds entry (`-v src:dst[:mode]` or `-v dst`). */
export function parseBind(raw: string): ParsedMount {
  const parts = raw.split(':');
  if (parts[0] === '' || parts.length > 3) throw bad(invalidSpec(raw));
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) {
    target = parts[0]!;
  } else if (parts.length === 2) {
    // `/foo:rw`: a destination with a mode is not a volume; volumes cannot carry a mode alone.
    if (validMountMode(parts[1]!)) throw bad(invalidSpec(raw));
    source = parts[0]!;
    target = parts[1]!;
  } else {
    source = parts[0]!;
    target = parts[1]!;
    mode = parts[2]!;
  }
  if (!validMountMode(mode)) throw bad(`invalid mode: ${mode}`);
  const opts = modeParts(mode);
  const type = posix.isAbsolute(source) ? 'bind' : 'volume';
  const readOnly = opts.includes('ro');
  const propagation = opts.find((o) => PROPAGATION_MODES.has(o));
  const copyData = !opts.includes('nocopy');
  const spec: MountSpec = { Type: type, Source: source, Target: target, ReadOnly: readOnly };
  // As moby: a propagation mode becomes BindOptions and `nocopy` VolumeOptions, so the wrong
  // one for the type is refused by the same validation as --mount.
  if (propagation) spec.BindOptions = { Propagation: propagation };
  if (!copyData) spec.VolumeOptions = { NoCopy: true };
  try {
    validateMountSpec(spec);
  } catch (err) {
    throw bad(`${invalidSpec(raw)}: ${(err as Error).message}`);
  }
  return {
    type,
    source: type === 'bind' ? clean(source) : source,
    destination: clean(target),
    rw: !readOnly,
    mode,
    propagation: type === 'bind' ? (propagation ?? DEFAULT_PROPAGATION) : '',
    copyData,
    origin: 'binds',
  };
}

/** Parse one HostConfig.Mounts entry (`--mount type=…`); bind sources must exist. */
export function parseMountSpec(m: MountSpec, bindSourceExists: (path: string) => boolean): ParsedMount {
  validateMountSpec(m, bindSourceExists);
  const base = { destination: clean(m.Target), rw: !m.ReadOnly, mode: '', origin: 'mounts' as const };
  if (m.Type === 'bind') {
    return {
      ...base,
      type: 'bind',
      source: clean(m.Source!),
      propagation: m.BindOptions?.Propagation || DEFAULT_PROPAGATION,
      copyData: false,
    };
  }
  if (m.Type === 'volume') {
    const vo = m.VolumeOptions as
      | (MountSpec['VolumeOptions'] & { DriverConfig?: { Name?: string; Options?: Record<string, string> } })
      | undefined;
    return {
      ...base,
      type: 'volume',
      source: m.Source ?? '',
      propagation: '',
      copyData: !vo?.NoCopy,
      volumeLabels: vo?.Labels,
      volumeDriver: vo?.DriverConfig?.Name,
      volumeDriverOpts: vo?.DriverConfig?.Options,
    };
  }
  return {
    ...base,
    type: 'tmpfs',
    source: '',
    propagation: '',
    copyData: false,
    tmpfsData: tmpfsOptionsData(m.TmpfsOptions, m.ReadOnly ?? false),
  };
}

/** moby's ConvertTmpfsOptions: TmpfsOptions → mount data (`ro,mode=1777,size=64m`). */
export function tmpfsOptionsData(opt: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (opt?.Mode) raw.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    if (opt.SizeBytes < 0) throw bad(`invalid mount config for type "tmpfs": invalid tmpfs size ${opt.SizeBytes}`);
    let size = opt.SizeBytes;
    let suffix = '';
    for (const s of ['k', 'm', 'g']) {
      if (size % 1024 !== 0) break;
      size /= 1024;
      suffix = s;
    }
    raw.push(`size=${size}${suffix}`);
  }
  return raw.join(',');
}

/** Flags mount(8) accepts for tmpfs (moby's ParseTmpfsOptions checks against the same set). */
const TMPFS_FLAGS = new Set([
  'ro',
  'rw',
  'exec',
  'noexec',
  'suid',
  'nosuid',
  'dev',
  'nodev',
  'sync',
  'async',
  'dirsync',
  'remount',
  'mand',
  'nomand',
  'atime',
  'noatime',
  'diratime',
  'nodiratime',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'lazytime',
  'nolazytime',
  'defaults',
  ...PROPAGATION_MODES,
  'unbindable',
  'runbindable',
]);
const TMPFS_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge', 'tmpcopyup']);

/** Validate `--tmpfs /path:opts` data; throws Docker's error on an unknown option. */
export function validateTmpfsData(data: string): void {
  for (const o of data === '' ? [] : data.split(',')) {
    const key = o.includes('=') ? o.slice(0, o.indexOf('=')) : o;
    if (o.includes('=') ? !TMPFS_KEYS.has(key) : !TMPFS_FLAGS.has(o)) throw bad(`invalid tmpfs option ["${o}"]`);
  }
}

/** Opposite flag pairs: the later one wins, as in moby's MergeTmpfsOptions. */
const OPPOSITE: Record<string, string> = {
  ro: 'rw',
  rw: 'ro',
  exec: 'noexec',
  noexec: 'exec',
  suid: 'nosuid',
  nosuid: 'suid',
  dev: 'nodev',
  nodev: 'dev',
  atime: 'noatime',
  noatime: 'atime',
  diratime: 'nodiratime',
  nodiratime: 'diratime',
};

/** Merge tmpfs options, later ones overriding earlier ones (flags, propagation, key=value). */
export function mergeTmpfsOptions(options: string[]): string[] {
  const out: string[] = [];
  const drop = (pred: (o: string) => boolean) => {
    for (let i = out.length - 1; i >= 0; i--) if (pred(out[i]!)) out.splice(i, 1);
  };
  for (const o of options) {
    if (o === '') continue;
    if (o.includes('=')) {
      const key = o.slice(0, o.indexOf('='));
      drop((x) => x.startsWith(`${key}=`));
    } else if (PROPAGATION_MODES.has(o)) {
      drop((x) => PROPAGATION_MODES.has(x));
    } else {
      const opp = OPPOSITE[o];
      drop((x) => x === o || x === opp);
    }
    out.push(o);
  }
  return out;
}
