import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { posix, relative } from 'node:path';
import { resolveInScope } from '../archive/scope.js';
import { EngineError } from '../errors.js';
import { resolveChown } from './chown.js';
import { commandArgv, shellOf } from './config.js';
import { type CopySource, resolveSources } from './context.js';
import { copySources, type Identity } from './copy.js';
import { BuildStepError } from './failure.js';
import { nopCreatedByOneWord } from './history.js';
import type { CommandInstruction, CopyInstruction } from './instructions.js';
import type { BuildJob } from './job.js';
import { shortId } from './output.js';
import type { MountedRootfs } from './rootfs.js';
import { runStepContainer } from './run.js';
import { envKey, type StageState } from './state.js';

const ROOT: Identity = { uid: 0, gid: 0 };

/** Remove an intermediate container after its step, per --rm (success) and --force-rm (always). */
async function cleanup(job: BuildJob, id: string, succeeded: boolean): Promise<void> {
  if (!(job.opts.forceRemove || job.opts.remove)) return;
  // Unlike dockerd, a failed step's container goes too when --rm is on: nothing is left dangling
  // unless --rm=false asks to keep it for inspection.
  await job.host.containers.remove(id, { force: true, volumes: true });
  job.containers.delete(id);
  if (succeeded) job.out.stdout(` ---> Removed intermediate container ${shortId(id)}\n`);
}

/** RUN: key by the command (with the build args it sees), run it in a container, commit the container. */
export async function runStep(job: BuildJob, inst: CommandInstruction, state: StageState): Promise<void> {
  const argv = commandArgv(inst.cmd, state.config);
  const argEnv = job.args.filterAllowed(state.config.Env ?? []);
  let saveCmd = argv;
  if (argEnv.length > 0) {
    // moby's prependEnvOnCmd: the args shown in history (and keyed on) precede the command
    const shown = argEnv.filter((e) => job.args.shownInHistory(envKey(e))).sort();
    saveCmd = [`|${shown.length}`, ...shown, ...argv];
  }
  const createdBy = saveCmd.join(' ');
  const key = job.cacheKey(state, ['RUN', saveCmd]);
  if (await job.probe(state, key)) return;
  if (!state.imageId) {
    // FROM scratch with nothing in it yet: give the container an (empty) image to start from
    await job.commit(state, job.cacheKey(state, ['scratch']), '');
  }
  const { id, exitCode } = await runStepContainer(
    job.host,
    job.out,
    {
      imageId: state.imageId!,
      argv,
      config: state.config,
      extraEnv: argEnv,
      hostConfig: job.opts.hostConfig,
      signal: job.signal,
    },
    (cid) => job.containers.add(cid),
  );
  if (exitCode !== 0) {
    await cleanup(job, id, false).catch(() => undefined);
    if (job.signal.aborted) throw new BuildStepError('Build cancelled');
    throw new BuildStepError(`The command '${argv.join(' ')}' returned a non-zero code: ${exitCode}`, exitCode);
  }
  await job.commit(state, key, createdBy, id);
  await cleanup(job, id, true);
}

/** Docker's normalizeDest: relative to WORKDIR, keeping a trailing '/'. */
function normalizeDest(workdir: string | undefined, dest: string): string {
  if (posix.isAbsolute(dest)) return dest;
  const joined = posix.join('/', workdir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

/** For COPY --from: images are content-addressed, so the image id and path name the content. */
function imageSourceDigest(imageId: string, root: string, sources: CopySource[]): string {
  const parts = sources.map(
    (s) =>
      `${s.isDir ? 'dir' : 'file'}:${createHash('sha256')
        .update(`${imageId}\0${relative(root, s.path)}`)
        .digest('hex')}`,
  );
  if (parts.length === 1) return parts[0]!;
  return `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
}

/** COPY/ADD: key by the content copied, then copy into a mounted writable snapshot and commit it. */
export async function copyStep(job: BuildJob, inst: CopyInstruction, state: StageState): Promise<void> {
  const env = job.envOf(state);
  const word = (w: string) => job.lex.processWord(w, env);
  const patterns = inst.sources.map(word);
  const dest = word(inst.dest);
  const chown = inst.chown ? word(inst.chown) : undefined;
  if (inst.kind === 'ADD' && patterns.some((p) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p))) {
    throw new EngineError('NOT_IMPLEMENTED', 'ADD from a URL');
  }
  let view: MountedRootfs | undefined;
  try {
    let sources: CopySource[];
    let digest: string;
    try {
      if (inst.from !== undefined) {
        const from = word(inst.from);
        const image = await job.sourceImage(from);
        if (!image) throw new EngineError('BAD_PARAMETER', `stage ${from} has no files to copy from`);
        view = await job.mounts.view(image);
        sources = await resolveSources(view.dir, patterns);
        digest = imageSourceDigest(image.id, view.dir, sources);
      } else {
        sources = await job.context.sources(patterns);
        digest = await job.context.digest(sources);
      }
    } catch (err) {
      throw new EngineError('BAD_PARAMETER', `${inst.kind} failed: ${(err as Error).message}`);
    }
    if (sources.length > 1 && !dest.endsWith('/')) {
      throw new EngineError(
        'BAD_PARAMETER',
        `When using ${inst.kind} with more than one source file, the destination must be a directory and end with a /`,
      );
    }
    const destPath = normalizeDest(state.config.WorkingDir, dest);
    const comment = `${inst.kind} ${chown ? `--chown=${chown}` : ''}${digest} in ${destPath} `;
    const createdBy = nopCreatedByOneWord(shellOf(state.config), comment);
    const key = job.cacheKey(state, [inst.kind, createdBy]);
    if (await job.probe(state, key)) return;
    if (inst.from === undefined) await job.context.materialize();
    const rootfs = await job.mounts.writable(state.imageId);
    try {
      const identity = chown ? await resolveChown(rootfs.dir, chown) : inst.from !== undefined ? undefined : ROOT;
      await copySources(rootfs.dir, destPath, sources, {
        ...(identity ? { identity } : {}),
        decompress: inst.kind === 'ADD',
      });
      await rootfs.unmount();
      await job.commit(state, key, createdBy, rootfs.key);
    } finally {
      await rootfs.discard();
    }
  } finally {
    await view?.discard();
  }
}

/** WORKDIR: the directory is created now, in its own layer, so RUNs need not create it each time. */
export async function workdirStep(job: BuildJob, state: StageState): Promise<void> {
  const dir = state.config.WorkingDir ?? '/';
  const createdBy = nopCreatedByOneWord(shellOf(state.config), `WORKDIR ${dir}`);
  const key = job.cacheKey(state, ['WORKDIR', createdBy]);
  if (await job.probe(state, key)) return;
  const rootfs = await job.mounts.writable(state.imageId);
  try {
    const path = await resolveInScope(rootfs.dir, dir);
    await mkdir(path, { recursive: true, mode: 0o755 });
    await rootfs.unmount();
    await job.commit(state, key, createdBy, rootfs.key);
  } finally {
    await rootfs.discard();
  }
}
