import { EngineError } from '../errors.js';
import type { ContainerConfig, HostConfig } from '../types/docker.js';
import type { ImageConfigSection } from '../types/oci.js';

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/** Merge `overrides` into `base` by variable name, keeping base order (moby's ReplaceOrAppendEnvValues). */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  for (const entry of overrides) {
    const key = envKey(entry);
    const i = out.findIndex((e) => envKey(e) === key);
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

/**
 * The container's config as it will run: the request merged with the image's defaults, with
 * moby's rules (daemon.merge): an entrypoint given by the user drops the image's CMD.
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageConfigSection | undefined): ContainerConfig {
  const img = image ?? {};
  const merged: ContainerConfig = { ...user };
  merged.Env = mergeEnv(img.Env ?? [], user.Env ?? []);
  if (!merged.User) merged.User = img.User ?? '';
  if (!merged.WorkingDir) merged.WorkingDir = img.WorkingDir ?? '';
  merged.Labels = { ...(img.Labels ?? {}), ...(user.Labels ?? {}) };
  merged.ExposedPorts = { ...(img.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  merged.Volumes = { ...(img.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) merged.Cmd = img.Cmd ?? null;
    if (user.Entrypoint == null) merged.Entrypoint = img.Entrypoint ?? null;
  }
  if (!merged.StopSignal && img.StopSignal) merged.StopSignal = img.StopSignal;
  if (!merged.Healthcheck && img.Healthcheck) merged.Healthcheck = img.Healthcheck;
  if (!merged.Shell && img.Shell) merged.Shell = img.Shell;
  return merged;
}

/** The process to run: entrypoint + cmd, with Docker's "no command specified" error. */
export function processArgs(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])].filter((a, i) => i > 0 || a !== '');
  const [path, ...args] = argv;
  if (!path) throw new EngineError('BAD_PARAMETER', 'no command specified');
  return { path, args };
}

const RESTART_POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** Reject host configs dockerd would reject, before anything is created. */
export function validateHostConfig(hc: HostConfig): void {
  const policy = hc.RestartPolicy?.Name ?? '';
  if (!RESTART_POLICIES.has(policy)) throw new EngineError('BAD_PARAMETER', `invalid restart policy '${policy}'`);
  if (hc.AutoRemove && policy !== '' && policy !== 'no') {
    throw new EngineError('BAD_PARAMETER', "can't create 'AutoRemove' container with restart policy");
  }
  if ((hc.RestartPolicy?.MaximumRetryCount ?? 0) < 0) throw new EngineError('BAD_PARAMETER', 'maximum retry count cannot be negative');
  if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < 6 * 1024 * 1024) {
    throw new EngineError('BAD_PARAMETER', 'Minimum memory limit allowed is 6MB');
  }
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) {
    throw new EngineError('BAD_PARAMETER', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  for (const [path] of Object.entries(hc.Tmpfs ?? {})) {
    if (!path.startsWith('/')) throw new EngineError('BAD_PARAMETER', `invalid mount path: '${path}' mount path must be absolute`);
  }
}
