import { EngineError } from '../errors.js';
import type { ImageWithConfig } from '../images/types.js';
import { BuildArgs } from './buildargs.js';
import { BuildCache } from './cache.js';
import { applyConfigInstruction, shellOf } from './config.js';
import type { BuildContext } from './context.js';
import { nodeFromLine } from './dockerfile.js';
import { BuildStepError } from './failure.js';
import { nopCreatedBy, nopCreatedByOneWord } from './history.js';
import { type ArgInstruction, type Instruction, parseInstruction } from './instructions.js';
import type { BuildOptions } from './options.js';
import { type BuildOutput, shortId } from './output.js';
import type { BuildMounts } from './rootfs.js';
import { ShellLex } from './shell-lex.js';
import type { BuildPlan, Stage } from './stages.js';
import { imageConfigOf, newStageState, type StageState } from './state.js';
import { copyStep, runStep, workdirStep } from './steps.js';
import type { BuildHost } from './types.js';

interface StageResult {
  name?: string;
  imageId: string | undefined;
}

/** One `docker build`: the classic builder's evaluator over the planned stages. */
export class BuildJob {
  readonly lex: ShellLex;
  readonly args: BuildArgs;
  private readonly results: StageResult[] = [];
  /** Intermediate containers still around (removed per --rm/--force-rm, and on abort). */
  readonly containers = new Set<string>();
  private step = 0;
  private total = 0;

  constructor(
    readonly host: BuildHost,
    readonly opts: BuildOptions,
    readonly context: BuildContext,
    readonly cache: BuildCache,
    readonly mounts: BuildMounts,
    readonly out: BuildOutput,
    readonly signal: AbortSignal,
    readonly dockerfileName: string,
    private readonly registryAuth: (ref: string) => string | undefined,
    escapeToken: string,
  ) {
    this.lex = new ShellLex(escapeToken);
    this.args = new BuildArgs(opts.buildArgs);
  }

  /** Run the stages; returns the last stage's image id. */
  async run(plan: BuildPlan, stages: Stage[]): Promise<string> {
    this.total = plan.metaArgs.length + stages.reduce((n, s) => n + 1 + s.commands.length, 0);
    for (const meta of plan.metaArgs) {
      this.printStep(meta.node.original);
      await this.located(meta, async () => {
        for (const a of this.expandArgs(
          meta,
          [...this.args.metaValues()].map(([k, v]) => `${k}=${v}`),
        ))
          this.args.addMetaArg(a.key, a.value);
      });
    }
    let last: StageState | undefined;
    for (const stage of stages) {
      this.checkCancelled();
      last = await this.runStage(stage);
    }
    const unused = this.args.unused();
    if (unused.length > 0)
      this.out.stdout(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    if (!last?.imageId) throw new BuildStepError('No image was generated. Is your Dockerfile empty?');
    return last.imageId;
  }

  private printStep(original: string): void {
    this.step++;
    this.out.stdout(`Step ${this.step}/${this.total} : ${original}\n`);
  }

  private checkCancelled(): void {
    if (this.signal.aborted) {
      this.out.stdout('Build cancelled\n');
      throw new BuildStepError('Build cancelled');
    }
  }

  /** Run `fn`, naming the instruction and its line in any error (`Dockerfile:3: RUN …: …`). */
  private async located<T>(inst: Instruction, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = err instanceof BuildStepError ? err.code : 1;
      const message = err instanceof Error ? err.message : String(err);
      const text = inst.node.original.length > 120 ? `${inst.node.original.slice(0, 117)}...` : inst.node.original;
      throw new BuildStepError(`${this.dockerfileName}:${inst.node.line}: ${text}: ${message}`, code);
    }
  }

  private async runStage(stage: Stage): Promise<StageState> {
    this.printStep(stage.from.node.original);
    this.args.newStage();
    const state = await this.located(stage.from, () => this.initStage(stage));
    this.out.stdout(` ---> ${shortId(state.imageId)}\n`);
    for (const inst of stage.commands) {
      this.checkCancelled();
      this.printStep(inst.node.original);
      await this.located(inst, () => this.dispatch(inst, state));
      this.out.stdout(` ---> ${shortId(state.imageId)}\n`);
    }
    if (state.imageId) this.out.aux(state.imageId);
    this.results.push({ ...(stage.name ? { name: stage.name } : {}), imageId: state.imageId });
    return state;
  }

  /** FROM: a previous stage, scratch, or an image (pulled when missing or with --pull); then ONBUILD triggers. */
  private async initStage(stage: Stage): Promise<StageState> {
    const metaEnv = [...this.args.metaValues()].map(([k, v]) => `${k}=${v}`);
    const name = this.lex.processWord(stage.from.image, metaEnv);
    const previous = this.results.find((r) => r.name !== undefined && r.name === name.toLowerCase());
    let base: ImageWithConfig | undefined;
    if (previous) base = previous.imageId ? await this.host.images.get(previous.imageId) : undefined;
    else if (name.toLowerCase() !== 'scratch') base = await this.image(name);
    const state = newStageState(base);
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length > 0) {
      this.out.stdout(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      // triggers run once: the images this stage makes do not carry them on
      delete state.config.OnBuild;
      for (const trigger of triggers) {
        const inst = parseInstruction(nodeFromLine(trigger, stage.from.node.line), this.lex.escapeToken);
        await this.dispatch(inst, state);
      }
    }
    return state;
  }

  /** An image by reference: local unless --pull; pulled when missing and a registry client is there. */
  async image(ref: string): Promise<ImageWithConfig> {
    if (!this.opts.pull) {
      try {
        return await this.host.images.get(ref);
      } catch (err) {
        if (!(err instanceof EngineError && err.code === 'NO_SUCH_IMAGE') || !this.host.pull) throw err;
      }
    }
    if (this.host.pull) {
      await this.host.pull(ref, this.registryAuth(ref), (e) => this.out.passthrough(e), this.signal);
    }
    return this.host.images.get(ref);
  }

  /** The image of a stage (by name or index) or of an image reference, for COPY --from. */
  async sourceImage(from: string): Promise<ImageWithConfig | undefined> {
    const byName = this.results.find((r) => r.name === from.toLowerCase());
    const byIndex = /^\d+$/.test(from) ? this.results[Number(from)] : undefined;
    const stage = byName ?? byIndex;
    if (stage) return stage.imageId ? this.host.images.get(stage.imageId) : undefined;
    if (/^\d+$/.test(from))
      throw new EngineError(
        'BAD_PARAMETER',
        `invalid from flag value ${from}: refers to current build stage or a later one`,
      );
    return this.image(from);
  }

  /** The variables words are expanded with: the stage's ENV, then the build args it declared. */
  envOf(state: StageState): string[] {
    const env = state.config.Env ?? [];
    return [...env, ...this.args.filterAllowed(env)];
  }

  private expandArgs(inst: ArgInstruction, env: string[]): { key: string; value: string | undefined }[] {
    return inst.args.map((a) => ({
      key: this.lex.processWord(a.key, env),
      value: a.value === undefined ? undefined : this.lex.processWord(a.value, env),
    }));
  }

  async dispatch(inst: Instruction, state: StageState): Promise<void> {
    switch (inst.kind) {
      case 'FROM':
        throw new EngineError('INTERNAL', 'FROM inside a stage');
      case 'ARG': {
        const args = this.expandArgs(inst, this.envOf(state));
        for (const a of args) this.args.addArg(a.key, a.value);
        const comment = `ARG ${args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
        return this.commitConfig(state, comment, false);
      }
      case 'RUN':
        return runStep(this, inst, state);
      case 'COPY':
      case 'ADD':
        return copyStep(this, inst, state);
      case 'WORKDIR': {
        applyConfigInstruction(inst, state, this.lex, this.envOf(state));
        return workdirStep(this, state);
      }
      default: {
        const change = applyConfigInstruction(inst, state, this.lex, this.envOf(state), (t) => this.out.stdout(t));
        return this.commitConfig(state, change.comment, change.oneWord ?? false);
      }
    }
  }

  /** The cache key of a step: parent image, what the step did, the config and author it leaves. */
  cacheKey(state: StageState, what: unknown[]): string {
    return BuildCache.key([state.imageId ?? '', ...what, state.config, state.author ?? '', state.platform]);
  }

  /** Use a cached result when there is one (and its image still exists): prints ` ---> Using cache`. */
  async probe(state: StageState, key: string): Promise<boolean> {
    if (this.opts.noCache) return false;
    const cached = this.cache.get(key);
    if (!cached) return false;
    try {
      await this.host.images.get(cached);
    } catch {
      this.cache.delete(key);
      return false;
    }
    this.out.stdout(' ---> Using cache\n');
    state.imageId = cached;
    return true;
  }

  /** Commit `key`'s changes (or none) as the stage's next image and remember it in the cache. */
  async commit(state: StageState, cacheKey: string, createdBy: string, snapshotKey?: string): Promise<void> {
    const image = await this.host.images.commit(snapshotKey ?? '', state.imageId, imageConfigOf(state), {
      createdBy,
      emptyLayer: snapshotKey === undefined,
      ...(state.author ? { author: state.author } : {}),
    });
    state.imageId = image.id;
    this.cache.set(cacheKey, image.id);
  }

  /** A step that only changes the config: an image with an empty layer, as Docker records it. */
  private async commitConfig(state: StageState, comment: string, oneWord: boolean): Promise<void> {
    const shell = shellOf(state.config);
    const createdBy = oneWord ? nopCreatedByOneWord(shell, comment) : nopCreatedBy(shell, comment);
    const key = this.cacheKey(state, ['config', createdBy]);
    if (await this.probe(state, key)) return;
    await this.commit(state, key, createdBy);
  }
}
