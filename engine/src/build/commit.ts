import { EngineError } from '../errors.js';
import type { ContainerConfig } from '../types/docker.js';
import type { ImageConfigSection } from '../types/oci.js';
import { applyConfigInstruction, type ConfigState } from './config.js';
import { parseDockerfile } from './dockerfile.js';
import { parseInstruction } from './instructions.js';
import { ShellLex } from './shell-lex.js';
import type { BuildHost } from './types.js';

export interface CommitRequest {
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  comment?: string;
  author?: string;
  /** Dockerfile instructions applied to the config (`--change`). */
  changes: string[];
  /** Freeze the container while its files are read (`--pause`, on by default). */
  pause: boolean;
  /** A config that replaces the container's (the API's request body), merged over it. */
  config?: Record<string, unknown>;
}

/** The instructions `--change` accepts (moby's validCommitCommands). */
const COMMIT_COMMANDS = new Set([
  'CMD',
  'ENTRYPOINT',
  'HEALTHCHECK',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

function imageSection(c: ContainerConfig & { OnBuild?: string[] }): ImageConfigSection {
  const out: ImageConfigSection = {};
  if (c.User) out.User = c.User;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0) out.ExposedPorts = { ...c.ExposedPorts };
  if (c.Env) out.Env = [...c.Env];
  if (c.Entrypoint !== undefined) out.Entrypoint = c.Entrypoint ? [...c.Entrypoint] : null;
  if (c.Cmd !== undefined) out.Cmd = c.Cmd ? [...c.Cmd] : null;
  if (c.Volumes && Object.keys(c.Volumes).length > 0) out.Volumes = { ...c.Volumes };
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.Labels && Object.keys(c.Labels).length > 0) out.Labels = { ...c.Labels };
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Healthcheck) out.Healthcheck = { ...c.Healthcheck };
  if (c.Shell) out.Shell = [...c.Shell];
  if (c.OnBuild) out.OnBuild = [...c.OnBuild];
  return out;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/** moby's daemon.merge: what the new config leaves unset comes from the container's. */
function mergeOver(user: ImageConfigSection, base: ImageConfigSection): ImageConfigSection {
  const out = { ...user };
  out.User ||= base.User;
  out.ExposedPorts = { ...(base.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  const userEnv = user.Env ?? [];
  out.Env = [...userEnv, ...(base.Env ?? []).filter((e) => !userEnv.some((u) => envKey(u) === envKey(e)))];
  out.Labels = { ...(base.Labels ?? {}), ...(user.Labels ?? {}) };
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) out.Cmd = base.Cmd ?? null;
    if (user.Entrypoint === undefined || user.Entrypoint === null) out.Entrypoint = base.Entrypoint ?? null;
  }
  out.Healthcheck ??= base.Healthcheck;
  out.WorkingDir ||= base.WorkingDir;
  out.Volumes = { ...(base.Volumes ?? {}), ...(user.Volumes ?? {}) };
  out.StopSignal ||= base.StopSignal;
  for (const k of ['ExposedPorts', 'Labels', 'Volumes'] as const)
    if (Object.keys(out[k] ?? {}).length === 0) delete out[k];
  for (const k of Object.keys(out) as (keyof ImageConfigSection)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Apply `--change` lines the way moby's BuildFromConfig does (with ENV expansion). */
export function applyChangeLines(config: ImageConfigSection, changes: string[]): ImageConfigSection {
  const lines = changes.filter((c) => c.trim() !== '');
  if (lines.length === 0) return config;
  const { escapeToken, nodes } = parseDockerfile(lines.join('\n'));
  const state: ConfigState = { config: structuredClone(config), cmdSet: false };
  const lex = new ShellLex(escapeToken);
  for (const node of nodes) {
    if (!COMMIT_COMMANDS.has(node.keyword))
      throw new EngineError('BAD_PARAMETER', `${node.keyword.toLowerCase()} is not a valid change command`);
    applyConfigInstruction(parseInstruction(node, escapeToken), state, lex, state.config.Env ?? []);
  }
  return state.config;
}

/**
 * `docker commit`: the container's snapshot changes become a layer on its image. The new config
 * is the request's (or the container's), changed by `--change`, with unset fields from the
 * container's; the history line is the container's command, as dockerd writes it.
 */
export async function commitContainer(host: BuildHost, ref: string, req: CommitRequest): Promise<{ Id: string }> {
  const c = host.containers.get(ref);
  const parent = await host.images.get(c.imageId);
  const containerConfig = imageSection(c.config);
  const requested = req.config ? imageSection(req.config as unknown as ContainerConfig) : containerConfig;
  const config = mergeOver(applyChangeLines(requested, req.changes), containerConfig);
  const pause = req.pause && c.state.Running && !c.state.Paused;
  if (pause) await host.containers.pause(c.id);
  let imageId: string;
  try {
    const image = await host.images.commit(
      c.id,
      parent.id,
      {
        architecture: parent.config.architecture,
        os: parent.config.os,
        ...(parent.config.variant ? { variant: parent.config.variant } : {}),
        config,
        container: c.id,
        rootfs: { type: 'layers', diff_ids: [] },
      },
      {
        createdBy: (c.config.Cmd ?? []).join(' '),
        ...(req.reference ? { reference: req.reference } : {}),
        ...(req.comment ? { comment: req.comment } : {}),
        ...(req.author ? { author: req.author } : {}),
      },
    );
    imageId = image.id;
  } finally {
    if (pause)
      await host.containers
        .unpause(c.id)
        .catch((err: unknown) => host.log.warn({ err, id: c.id }, 'unpause after commit failed'));
  }
  host.publish?.('container', 'commit', c.id, {
    ...(c.config.Labels ?? {}),
    name: c.name,
    image: c.config.Image,
    comment: req.comment ?? '',
    imageID: imageId,
    imageRef: req.reference ?? '',
  });
  return { Id: imageId };
}
