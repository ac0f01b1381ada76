import { type DockerfileNode, parseError, parseWords } from './dockerfile.js';

/** RUN/CMD/ENTRYPOINT/HEALTHCHECK CMD: exec form (a JSON array) or shell form (one string). */
export type CommandForm = { json: true; args: string[] } | { json: false; line: string };

interface Base {
  node: DockerfileNode;
}
export interface FromInstruction extends Base {
  kind: 'FROM';
  image: string;
  stage?: string;
  platform?: string;
}
export interface CommandInstruction extends Base {
  kind: 'RUN' | 'CMD' | 'ENTRYPOINT';
  cmd: CommandForm;
}
export interface CopyInstruction extends Base {
  kind: 'COPY' | 'ADD';
  /** Raw words (expanded at dispatch). */
  sources: string[];
  dest: string;
  chown?: string;
  from?: string;
}
export interface KeyValueInstruction extends Base {
  kind: 'ENV' | 'LABEL';
  /** Raw key and value words, expanded and unquoted at dispatch. */
  pairs: { key: string; value: string }[];
  /** Taken literally (the `--label` options, which Docker adds unexpanded). */
  noExpand?: boolean;
}
export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: { key: string; value?: string }[];
}
export interface StringInstruction extends Base {
  kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER';
  value: string;
}
export interface ListInstruction extends Base {
  kind: 'EXPOSE' | 'VOLUME';
  values: string[];
}
export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** undefined for HEALTHCHECK NONE. */
  cmd?: CommandForm;
  /** Nanoseconds, as the image config stores them. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}
export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}
export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  trigger: string;
}

export type Instruction =
  | FromInstruction
  | CommandInstruction
  | CopyInstruction
  | KeyValueInstruction
  | ArgInstruction
  | StringInstruction
  | ListInstruction
  | HealthcheckInstruction
  | ShellInstruction
  | OnbuildInstruction;

/** Flags each instruction takes in the classic builder; the BuildKit-only ones get BuildKit's name in the error. */
const FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown'],
  ADD: ['chown'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
const BUILDKIT_FLAGS = new Set([
  'mount',
  'network',
  'security',
  'chmod',
  'link',
  'checksum',
  'keep-git-dir',
  'parents',
  'exclude',
]);

function flagsOf(node: DockerfileNode): Map<string, string> {
  const allowed = FLAGS[node.keyword] ?? [];
  const out = new Map<string, string>();
  for (const f of node.flags) {
    if (!allowed.includes(f.name)) {
      if (BUILDKIT_FLAGS.has(f.name)) {
        throw parseError(
          node.line,
          `the --${f.name} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`,
        );
      }
      throw parseError(node.line, `unknown flag: ${f.name}`);
    }
    if (f.value === undefined) throw parseError(node.line, `missing a value on flag: ${f.name}`);
    if (out.has(f.name)) throw parseError(node.line, `duplicate flag specified: ${f.name}`);
    out.set(f.name, f.value);
  }
  return out;
}

/** A JSON array of strings, `undefined` when the text is not JSON at all (shell form). */
function jsonArray(rest: string, line: number): string[] | undefined {
  const text = rest.trim();
  if (!text.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((s) => typeof s === 'string')) {
    throw parseError(line, 'when using JSON array syntax, arrays must be comprised of strings only');
  }
  return parsed as string[];
}

function commandForm(rest: string, line: number): CommandForm {
  const json = jsonArray(rest, line);
  return json ? { json: true, args: json } : { json: false, line: rest.trim() };
}

function whitespaceList(rest: string): string[] {
  return rest.split(/[\t\v\f\r ]+/).filter(Boolean);
}

/** `ENV`/`LABEL`: `k=v k2="v 2"`, or the old `k some value` (one pair, value = rest of the line). */
function keyValues(node: DockerfileNode, escapeToken: string): { key: string; value: string }[] {
  const words = parseWords(node.rest, escapeToken);
  const name = node.keyword;
  if (words.length === 0) throw parseError(node.line, `${name} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(node.rest.trim());
    if (!m) throw parseError(node.line, `${name} must have two arguments`);
    return [{ key: m[1]!, value: m[2]! }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw parseError(node.line, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw parseError(node.line, `${name} names can not be blank`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  re.lastIndex = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * GO_DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== body.length) throw new Error(`time: invalid duration "${text}"`);
  return Math.round(sign * total);
}

function healthcheck(node: DockerfileNode): HealthcheckInstruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(node.rest.trim());
  if (!m) throw parseError(node.line, 'HEALTHCHECK requires at least one argument');
  const type = m[1]!.toUpperCase();
  const args = m[2]!;
  const flags = flagsOf(node);
  if (type === 'NONE') {
    if (args.trim() !== '') throw parseError(node.line, 'HEALTHCHECK NONE takes no arguments');
    return { kind: 'HEALTHCHECK', node };
  }
  if (type !== 'CMD') throw parseError(node.line, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const cmd = commandForm(args, node.line);
  if ((cmd.json && cmd.args.length === 0) || (!cmd.json && cmd.line === ''))
    throw parseError(node.line, 'Missing command after HEALTHCHECK CMD');
  const out: HealthcheckInstruction = { kind: 'HEALTHCHECK', node, cmd };
  const durations = [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start-period', 'startPeriod'],
    ['start-interval', 'startInterval'],
  ] as const;
  for (const [flag, field] of durations) {
    const v = flags.get(flag);
    if (v === undefined || v === '') continue;
    let ns: number;
    try {
      ns = parseGoDuration(v);
    } catch (err) {
      throw parseError(node.line, (err as Error).message);
    }
    if (ns < 1e6) throw parseError(node.line, `Interval "${flag}" cannot be less than 1ms`);
    out[field] = ns;
  }
  const retries = flags.get('retries');
  if (retries !== undefined && retries !== '') {
    const n = Number(retries);
    if (!Number.isInteger(n)) throw parseError(node.line, `strconv.ParseInt: parsing "${retries}": invalid syntax`);
    if (n < 1) throw parseError(node.line, `--retries must be at least 1 (not ${n})`);
    out.retries = n;
  }
  return out;
}

/** Interpret one node's arguments with the classic builder's rules for its keyword. */
export function parseInstruction(node: DockerfileNode, escapeToken: string): Instruction {
  const { keyword: kw, line, rest } = node;
  switch (kw) {
    case 'FROM': {
      const flags = flagsOf(node);
      const words = whitespaceList(rest);
      let stage: string | undefined;
      if (words.length === 3 && words[1]!.toLowerCase() === 'as') {
        stage = words[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(stage)) {
          throw parseError(
            line,
            `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`,
          );
        }
      } else if (words.length !== 1) {
        throw parseError(line, 'FROM requires either one or three arguments');
      }
      const platform = flags.get('platform');
      return { kind: 'FROM', node, image: words[0]!, ...(stage ? { stage } : {}), ...(platform ? { platform } : {}) };
    }
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT': {
      flagsOf(node);
      if (kw === 'RUN' && rest.trim() === '') throw parseError(line, 'RUN requires at least one argument');
      return { kind: kw, node, cmd: commandForm(rest, line) };
    }
    case 'COPY':
    case 'ADD': {
      const flags = flagsOf(node);
      const words = jsonArray(rest, line) ?? whitespaceList(rest);
      if (words.length < 2)
        throw parseError(
          line,
          `${kw} requires at least two arguments, but only one was provided. Destination could not be determined.`,
        );
      const out: CopyInstruction = { kind: kw, node, sources: words.slice(0, -1), dest: words[words.length - 1]! };
      const chown = flags.get('chown');
      if (chown) out.chown = chown;
      const from = flags.get('from');
      if (from !== undefined) out.from = from;
      return out;
    }
    case 'ENV':
    case 'LABEL':
      flagsOf(node);
      return { kind: kw, node, pairs: keyValues(node, escapeToken) };
    case 'ARG': {
      flagsOf(node);
      const words = parseWords(rest, escapeToken);
      if (words.length === 0) throw parseError(line, 'ARG requires at least one argument');
      const args = words.map((w) => {
        const eq = w.indexOf('=');
        if (eq === 0) throw parseError(line, 'ARG names can not be blank');
        return eq < 0 ? { key: w } : { key: w.slice(0, eq), value: w.slice(eq + 1) };
      });
      return { kind: 'ARG', node, args };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER': {
      flagsOf(node);
      const value = rest.trim();
      if (value === '') throw parseError(line, `${kw} requires exactly one argument`);
      if (kw === 'STOPSIGNAL' && /\s/.test(value)) throw parseError(line, 'STOPSIGNAL requires exactly one argument');
      return { kind: kw, node, value };
    }
    case 'EXPOSE':
    case 'VOLUME': {
      flagsOf(node);
      const values = kw === 'VOLUME' ? (jsonArray(rest, line) ?? whitespaceList(rest)) : whitespaceList(rest);
      if (values.length === 0) throw parseError(line, `${kw} requires at least one argument`);
      return { kind: kw, node, values };
    }
    case 'HEALTHCHECK':
      return healthcheck(node);
    case 'SHELL': {
      flagsOf(node);
      const shell = jsonArray(rest, line);
      if (!shell) throw parseError(line, 'SHELL requires the arguments to be in JSON form');
      if (shell.length === 0) throw parseError(line, 'SHELL requires at least one argument');
      return { kind: 'SHELL', node, shell };
    }
    case 'ONBUILD': {
      flagsOf(node);
      const trigger = rest.trim();
      if (trigger === '') throw parseError(line, 'ONBUILD requires at least one argument');
      const word = (/^\S+/.exec(trigger)?.[0] ?? '').toUpperCase();
      if (word === 'ONBUILD') throw parseError(line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (word === 'FROM' || word === 'MAINTAINER')
        throw parseError(line, `${word} isn't allowed as an ONBUILD trigger`);
      return { kind: 'ONBUILD', node, trigger };
    }
    default:
      throw parseError(line, `unknown instruction: ${kw}`);
  }
}
