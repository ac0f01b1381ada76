import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { containerEnv, replaceOrAppendEnv } from '../containers/spec-config.js';
import { CAPABILITIES_BY_NUMBER } from '../containers/spec-defaults.js';
import { allCapabilities } from '../containers/spec-linux.js';
import type { OciProcess, OciSpec } from '../containers/spec-types.js';
import type { ContainerRecord } from '../containers/types.js';
import { resolveUser } from '../containers/user.js';
import { EngineError } from '../errors.js';
import type { ExecProcessSpec } from '../runtime/exec-types.js';

/** What `docker exec` asks for (the body of POST /containers/{id}/exec). */
export interface ExecConfig {
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  DetachKeys: string;
  Env: string[];
  Cmd: string[];
  User: string;
  WorkingDir: string;
  Privileged: boolean;
  ConsoleSize?: [number, number];
}

export function parseExecConfig(body: Record<string, unknown>): ExecConfig {
  const strings = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw new EngineError('BAD_PARAMETER', `${what} must be an array of strings`);
    return v as string[];
  };
  const cmd = strings(body.Cmd, 'Cmd');
  if (cmd.length === 0) throw new EngineError('BAD_PARAMETER', 'No exec command specified');
  const size = body.ConsoleSize;
  let consoleSize: [number, number] | undefined;
  if (Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n) && n >= 0)) {
    consoleSize = [size[0] as number, size[1] as number];
  }
  return {
    AttachStdin: body.AttachStdin === true,
    AttachStdout: body.AttachStdout === true,
    AttachStderr: body.AttachStderr === true,
    Tty: body.Tty === true,
    DetachKeys: typeof body.DetachKeys === 'string' ? body.DetachKeys : '',
    Env: strings(body.Env, 'Env'),
    Cmd: cmd,
    User: typeof body.User === 'string' ? body.User : '',
    WorkingDir: typeof body.WorkingDir === 'string' ? body.WorkingDir : '',
    Privileged: body.Privileged === true,
    ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
  };
}

/**
 * The exec's OCI process, built as moby's daemon/exec.go builds it: the container's own process
 * (from the config.json its task runs with: rlimits, no-new-privileges, apparmor, capabilities,
 * user) with the exec's args, its environment over the container's (TERM=xterm with a TTY),
 * its user resolved in the container's /etc/passwd, its working directory, and with
 * --privileged every capability.
 */
export async function buildExecProcess(
  c: ContainerRecord,
  bundle: string,
  config: ExecConfig,
  size: { height: number; width: number } | undefined,
): Promise<ExecProcessSpec> {
  const spec = await taskSpec(c, bundle);
  const base = spec.process as OciProcess & Record<string, unknown>;
  const rootfs = join(bundle, spec.root.path);
  const env = replaceOrAppendEnv(
    containerEnv({ ...c.config, Tty: config.Tty }, spec.hostname ?? c.config.Hostname ?? ''),
    config.Env,
  );
  let user = base.user;
  if (config.User) {
    const u = await resolveUser(rootfs, config.User, c.hostConfig.GroupAdd ?? []);
    user = {
      uid: u.uid,
      gid: u.gid,
      additionalGids: u.additionalGids,
      ...(base.user.umask !== undefined ? { umask: base.user.umask } : {}),
    };
  }
  const process: ExecProcessSpec = {
    ...base,
    terminal: config.Tty,
    args: config.Cmd,
    env,
    cwd: config.WorkingDir || base.cwd,
    user,
  };
  if (config.Tty && size && size.height > 0 && size.width > 0) process.consoleSize = size;
  else delete process.consoleSize;
  if (config.Privileged) {
    const all = await privilegedCapabilities();
    process.capabilities = { bounding: all, effective: all, permitted: all };
    // Only where the container is confined at all: without AppArmor runc cannot set any profile.
    if (base.apparmorProfile) process.apparmorProfile = 'unconfined';
  }
  return process;
}

/**
 * The spec the container's task runs with, read once per task: berthd writes config.json before
 * the task starts and never while it runs, and reading it (four thread-pool round trips) was a
 * measurable part of `docker exec C true` on a loaded machine. Keyed by container and start time.
 */
const specs = new Map<string, Promise<OciSpec>>();
const MAX_CACHED_SPECS = 256;

function taskSpec(c: ContainerRecord, bundle: string): Promise<OciSpec> {
  const key = `${c.id} ${c.state.StartedAt} ${bundle}`;
  let spec = specs.get(key);
  if (!spec) {
    spec = readFile(join(bundle, 'config.json'), 'utf8').then(
      (text) => JSON.parse(text) as OciSpec,
      (err: Error) => {
        throw new EngineError('RUNTIME', `cannot read the container's runtime spec: ${err.message}`);
      },
    );
    // A failed read is not remembered.
    spec.catch(() => specs.delete(key));
    if (specs.size >= MAX_CACHED_SPECS) specs.delete(specs.keys().next().value as string);
    specs.set(key, spec);
  }
  return spec;
}

/**
 * Every capability the kernel knows that berthd itself holds in its bounding set: a process cannot
 * be given more (runc fails with "unable to apply caps"), e.g. when berthd runs in a sandbox.
 */
async function privilegedCapabilities(): Promise<string[]> {
  const all = await allCapabilities();
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) return all;
  const bounding = BigInt(`0x${hex}`);
  return all.filter((cap) => {
    const bit = CAPABILITIES_BY_NUMBER.indexOf(cap);
    return bit >= 0 && (bounding >> BigInt(bit)) & 1n;
  });
}
