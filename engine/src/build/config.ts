import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import type { ImageConfigSection } from '../types/oci.js';
import { goHealthcheck, goQuoteSlice, goSlice } from './history.js';
import type { CommandForm, Instruction } from './instructions.js';
import type { ShellLex } from './shell-lex.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The image config a stage is building, plus the stage state the classic builder keeps beside it. */
export interface ConfigState {
  config: ImageConfigSection;
  /** CMD was set in this stage: a later ENTRYPOINT keeps it (else ENTRYPOINT clears the inherited CMD). */
  cmdSet: boolean;
  /** MAINTAINER, written as the image author. */
  author?: string;
}

/** What a metadata instruction did: the history comment, and whether it uses the one-word `#(nop)` form. */
export interface ConfigChange {
  comment: string;
  oneWord?: boolean;
}

const SIGNALS = new Set(
  'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ'.split(
    ' ',
  ),
);

/** Docker's signal.ParseSignal: a number, `SIGNAME`, `NAME`, or `RTMIN+n`/`RTMAX-n`. */
export function checkSignal(sig: string): void {
  if (/^\d+$/.test(sig) && Number(sig) > 0 && Number(sig) <= 64) return;
  const name = sig.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name) || /^RT(MIN|MAX)([+-]\d+)?$/.test(name)) return;
  throw new EngineError('BAD_PARAMETER', `Invalid signal: ${sig}`);
}

/** nat.ParsePortSpecs for EXPOSE: `80`, `80/udp`, `8000-8002/tcp` (a range is every port in it). */
export function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  if (!m) throw new EngineError('BAD_PARAMETER', `Invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new EngineError('BAD_PARAMETER', `Invalid proto: ${m[3]}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535) throw new EngineError('BAD_PARAMETER', `Invalid containerPort: ${spec}`);
  if (end < start) throw new EngineError('BAD_PARAMETER', `Invalid range specified for the Port: ${spec}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** WORKDIR relative to the current one, cleaned (moby's normalizeWorkdir). */
export function normalizeWorkdir(current: string | undefined, requested: string): string {
  if (requested === '') throw new EngineError('BAD_PARAMETER', 'cannot normalize nothing');
  return posix
    .normalize(posix.isAbsolute(requested) ? requested : posix.join('/', current || '/', requested))
    .replace(/(.)\/+$/, '$1');
}

export function shellOf(config: ImageConfigSection): string[] {
  return config.Shell && config.Shell.length > 0 ? [...config.Shell] : [...DEFAULT_SHELL];
}

/** The argv of RUN/CMD/ENTRYPOINT: exec form as is, shell form behind the current SHELL. */
export function commandArgv(cmd: CommandForm, config: ImageConfigSection): string[] {
  if (cmd.json) return [...cmd.args];
  return cmd.line === '' ? shellOf(config) : [...shellOf(config), cmd.line];
}

function setEnv(env: string[], key: string, value: string): string[] {
  const entry = `${key}=${value}`;
  const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i < 0) return [...env, entry];
  const out = [...env];
  out[i] = entry;
  return out;
}

/**
 * Apply a metadata instruction (anything but FROM, RUN, COPY, ADD, ARG) to the config, with
 * words expanded against `env` where Docker expands them. Returns the history comment.
 * Also serves `docker commit --change`.
 */
export function applyConfigInstruction(
  inst: Instruction,
  state: ConfigState,
  lex: ShellLex,
  env: readonly string[],
  note: (text: string) => void = () => undefined,
): ConfigChange {
  const cfg = state.config;
  const word = (w: string) => lex.processWord(w, env);
  switch (inst.kind) {
    case 'ENV': {
      // every value is expanded against the environment before this instruction
      const pairs = inst.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
      let next = [...(cfg.Env ?? [])];
      for (const p of pairs) {
        if (p.key === '') throw new EngineError('BAD_PARAMETER', 'ENV names can not be blank');
        next = setEnv(next, p.key, p.value);
      }
      cfg.Env = next;
      return { comment: `ENV ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}` };
    }
    case 'LABEL': {
      const pairs = inst.noExpand ? inst.pairs : inst.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const p of pairs) {
        if (p.key === '') throw new EngineError('BAD_PARAMETER', 'LABEL names can not be blank');
        cfg.Labels[p.key] = p.value;
      }
      return { comment: `LABEL ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}` };
    }
    case 'USER':
      cfg.User = word(inst.value);
      return { comment: `USER ${cfg.User}` };
    case 'WORKDIR':
      cfg.WorkingDir = normalizeWorkdir(cfg.WorkingDir, word(inst.value));
      return { comment: `WORKDIR ${cfg.WorkingDir}`, oneWord: true };
    case 'STOPSIGNAL': {
      const sig = word(inst.value);
      checkSignal(sig);
      cfg.StopSignal = sig;
      return { comment: `STOPSIGNAL ${sig}` };
    }
    case 'EXPOSE': {
      // the one instruction where a variable may expand to several words
      const ports = inst.values.flatMap((v) => lex.processWords(v, env));
      cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of ports) for (const key of exposedPorts(p)) cfg.ExposedPorts[key] = {};
      return { comment: `EXPOSE ${ports.join(' ')}` };
    }
    case 'VOLUME': {
      const paths = inst.values.map(word);
      cfg.Volumes = { ...(cfg.Volumes ?? {}) };
      for (const p of paths) {
        if (p.trim() === '') throw new EngineError('BAD_PARAMETER', 'VOLUME specified can not be an empty string');
        cfg.Volumes[p] = {};
      }
      return { comment: `VOLUME ${goSlice(paths)}` };
    }
    case 'CMD':
      cfg.Cmd = commandArgv(inst.cmd, cfg);
      state.cmdSet = true;
      return { comment: `CMD ${goQuoteSlice(cfg.Cmd)}` };
    case 'ENTRYPOINT':
      cfg.Entrypoint = !inst.cmd.json && inst.cmd.line === '' ? null : commandArgv(inst.cmd, cfg);
      if (!state.cmdSet) cfg.Cmd = null;
      return { comment: `ENTRYPOINT ${goQuoteSlice(cfg.Entrypoint)}` };
    case 'HEALTHCHECK': {
      const old = cfg.Healthcheck?.Test;
      if (inst.cmd && old && old.length > 0 && old[0] !== 'NONE')
        note(`Note: overriding previous HEALTHCHECK: ${goSlice(old)}\n`);
      const hc: NonNullable<ImageConfigSection['Healthcheck']> & { StartInterval?: number } = inst.cmd
        ? { Test: inst.cmd.json ? ['CMD', ...inst.cmd.args] : ['CMD-SHELL', inst.cmd.line] }
        : { Test: ['NONE'] };
      if (inst.interval) hc.Interval = inst.interval;
      if (inst.timeout) hc.Timeout = inst.timeout;
      if (inst.startPeriod) hc.StartPeriod = inst.startPeriod;
      if (inst.startInterval) hc.StartInterval = inst.startInterval;
      if (inst.retries) hc.Retries = inst.retries;
      cfg.Healthcheck = hc;
      return { comment: `HEALTHCHECK ${goHealthcheck(hc)}` };
    }
    case 'SHELL':
      cfg.Shell = [...inst.shell];
      return { comment: `SHELL ${goSlice(inst.shell)}` };
    case 'ONBUILD':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), inst.trigger];
      return { comment: `ONBUILD ${inst.trigger}` };
    case 'MAINTAINER':
      state.author = inst.value;
      return { comment: `MAINTAINER ${inst.value}` };
    default:
      throw new EngineError('INTERNAL', `${inst.kind} is not a metadata instruction`);
  }
}
