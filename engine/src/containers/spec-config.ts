import { EngineError } from '../errors.js';
import type { ContainerConfig } from '../types/docker.js';
import type { ImageConfigSection } from '../types/oci.js';
import { DEFAULT_PATH } from './spec-defaults.js';

/**
 * moby's rules for combining a container's config with its image's, kept exact because users see
 * the difference: daemon/commit.go merge(), daemon/create.go mergeAndVerifyConfig(),
 * container.CreateDaemonEnvironment() and ReplaceOrAppendEnvValues().
 */

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/**
 * Fill the gaps in a container's config from its image (moby's merge). Entrypoint and Cmd go
 * together: a container Entrypoint replaces the image's and also drops the image's Cmd unless
 * the container gives its own. An Entrypoint of `[""]` resets it to none. Merging an already
 * merged config again changes nothing.
 */
export function mergeImageDefaults(user: ContainerConfig, image: ImageConfigSection | undefined): ContainerConfig {
  const out: ContainerConfig = { ...user };
  const img = image ?? {};
  if (!out.User) out.User = img.User ?? '';
  if (!out.ExposedPorts || Object.keys(out.ExposedPorts).length === 0) {
    if (img.ExposedPorts) out.ExposedPorts = { ...img.ExposedPorts };
  } else if (img.ExposedPorts) {
    out.ExposedPorts = { ...img.ExposedPorts, ...out.ExposedPorts };
  }
  const userEnv = user.Env ?? [];
  if (userEnv.length === 0) {
    out.Env = img.Env ? [...img.Env] : (user.Env ?? null);
  } else {
    // User entries first, then image entries whose name the user did not set.
    const keys = new Set(userEnv.map(envKey));
    out.Env = [...userEnv, ...(img.Env ?? []).filter((e) => !keys.has(envKey(e)))];
  }
  out.Labels = { ...(img.Labels ?? {}), ...(user.Labels ?? {}) };
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) out.Cmd = img.Cmd ?? user.Cmd ?? null;
    // Only a missing Entrypoint inherits; an explicit [] keeps none (and still inherits Cmd).
    if (user.Entrypoint === undefined || user.Entrypoint === null) out.Entrypoint = img.Entrypoint ?? null;
  }
  if (img.Healthcheck) {
    const uh = user.Healthcheck;
    out.Healthcheck = uh
      ? {
          ...uh,
          Test: uh.Test && uh.Test.length > 0 ? uh.Test : img.Healthcheck.Test,
          Interval: uh.Interval || img.Healthcheck.Interval,
          Timeout: uh.Timeout || img.Healthcheck.Timeout,
          StartPeriod: uh.StartPeriod || img.Healthcheck.StartPeriod,
          Retries: uh.Retries || img.Healthcheck.Retries,
        }
      : img.Healthcheck;
  }
  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  if (!out.Volumes || Object.keys(out.Volumes).length === 0) {
    if (img.Volumes) out.Volumes = { ...img.Volumes };
  } else if (img.Volumes) {
    out.Volumes = { ...out.Volumes, ...img.Volumes };
  }
  if (!out.StopSignal) out.StopSignal = img.StopSignal ?? '';
  // mergeAndVerifyConfig: `--entrypoint ""` means "no entrypoint". moby stores null; an empty
  // list means the same to the process and keeps a second merge from inheriting the image's.
  if (out.Entrypoint?.length === 1 && out.Entrypoint[0] === '') out.Entrypoint = [];
  return out;
}

/** argv of the container's process: entrypoint + cmd (moby getEntrypointAndArgs). */
export function processArgv(config: ContainerConfig): string[] {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entrypoint.length === 0 && cmd.length === 0) throw new EngineError('BAD_PARAMETER', 'no command specified');
  return entrypoint.length > 0 ? [...entrypoint, ...cmd] : [...cmd];
}

/**
 * moby's ReplaceOrAppendEnvValues: an override replaces the default of the same name in place or
 * is appended; an override without `=` unsets the default of that name.
 */
export function replaceOrAppendEnv(defaults: string[], overrides: string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map<string, number>();
  for (const [i, e] of out.entries()) index.set(envKey(e ?? ''), i);
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) out[i] = undefined;
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) out[i] = value;
    else out.push(value);
  }
  return out.filter((e): e is string => e !== undefined);
}

/** The process environment: PATH, HOSTNAME and (with a TTY) TERM, then the config's Env over them. */
export function containerEnv(config: ContainerConfig, hostname: string): string[] {
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`];
  if (config.Tty) defaults.push('TERM=xterm');
  return replaceOrAppendEnv(defaults, config.Env ?? []);
}
