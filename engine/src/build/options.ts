import { EngineError } from '../errors.js';
import { normalizeReference } from '../images/reference.js';
import type { HostConfig } from '../types/docker.js';

/** `POST /build` query parameters, as the docker CLI sends them for the classic builder. */
export interface BuildOptions {
  /** Normalized `name:tag` references to tag the result with. */
  tags: string[];
  dockerfile?: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  /** Remove intermediate containers after a successful step (`--rm`, on by default). */
  remove: boolean;
  /** Remove them after a failed step too (`--force-rm`). */
  forceRemove: boolean;
  /** HostConfig for RUN containers: network mode, resources, extra hosts. */
  hostConfig: HostConfig;
  platform?: string;
}

function jsonParam<T>(query: URLSearchParams, name: string, fallback: T): T {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new EngineError('BAD_PARAMETER', `invalid ${name} parameter: ${raw}`);
  }
}

function boolParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(v);
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new EngineError('BAD_PARAMETER', `invalid ${name} parameter: ${v}`);
  return n;
}

/** Read and check the query before anything is built: a bad tag fails with a 400, not mid-build. */
export function parseBuildOptions(query: URLSearchParams): BuildOptions {
  const version = query.get('version');
  if (version === '2')
    throw new EngineError(
      'BAD_PARAMETER',
      'BuildKit is not supported by berthd: build with DOCKER_BUILDKIT=0 (the classic builder)',
    );
  const remote = query.get('remote');
  if (remote && remote !== 'context') throw new EngineError('NOT_IMPLEMENTED', 'building from a remote URL');
  if (boolParam(query, 'squash', false))
    throw new EngineError('BAD_PARAMETER', 'squash is only supported with experimental mode');
  const tags = query.getAll('t').filter(Boolean);
  const normalized = tags.map((t) => {
    const ref = normalizeReference(t);
    if (ref.includes('@')) throw new EngineError('INVALID_REFERENCE', `${t}: a build tag cannot contain a digest`);
    return ref;
  });
  const hostConfig: HostConfig = {};
  const network = query.get('networkmode');
  if (network) hostConfig.NetworkMode = network;
  const numeric = [
    ['memory', 'Memory'],
    ['memswap', 'MemorySwap'],
    ['cpushares', 'CpuShares'],
    ['cpuperiod', 'CpuPeriod'],
    ['cpuquota', 'CpuQuota'],
    ['shmsize', 'ShmSize'],
  ] as const;
  for (const [param, field] of numeric) {
    const n = intParam(query, param);
    if (n) hostConfig[field] = n;
  }
  const cpusetCpus = query.get('cpusetcpus');
  if (cpusetCpus) hostConfig.CpusetCpus = cpusetCpus;
  const extraHosts = query
    .getAll('extrahosts')
    .flatMap((h) => h.split(','))
    .filter(Boolean);
  if (extraHosts.length > 0) hostConfig.ExtraHosts = extraHosts;
  const ulimits = jsonParam<HostConfig['Ulimits']>(query, 'ulimits', null);
  if (ulimits && ulimits.length > 0) hostConfig.Ulimits = ulimits;
  const out: BuildOptions = {
    tags: normalized,
    buildArgs: jsonParam(query, 'buildargs', {}) ?? {},
    labels: jsonParam(query, 'labels', {}) ?? {},
    noCache: boolParam(query, 'nocache', false),
    pull: boolParam(query, 'pull', false),
    quiet: boolParam(query, 'q', false),
    remove: boolParam(query, 'rm', true),
    forceRemove: boolParam(query, 'forcerm', false),
    hostConfig,
  };
  const dockerfile = query.get('dockerfile');
  if (dockerfile) out.dockerfile = dockerfile;
  const target = query.get('target');
  if (target) out.target = target;
  const platform = query.get('platform');
  if (platform) out.platform = platform;
  return out;
}
