import { EngineError } from '../errors.js';
import type { ImageConfigSection } from '../types/oci.js';

/**
 * `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an image
 * config. Hand-written: dockerfile-ast gives positions and raw arguments, not Docker's semantics
 * (JSON vs shell form, `ENV k v` vs `k=v` pairs, quote removal), which is all we need here.
 * Variables are not substituted (dockerd does so from the image's ENV; rarely used with --change).
 */
export function applyChanges(base: ImageConfigSection, changes: string[] = []): ImageConfigSection {
  const cfg: ImageConfigSection = structuredClone(base);
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    const instr = (m?.[1] ?? '').toUpperCase();
    const args = (m?.[2] ?? '').trim();
    switch (instr) {
      case 'CMD':
        cfg.Cmd = commandForm(args);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = commandForm(args);
        break;
      case 'ENV':
        for (const [k, v] of nameValues(args, 'ENV')) {
          cfg.Env = [...(cfg.Env ?? []).filter((e) => e.split('=')[0] !== k), `${k}=${v}`];
        }
        break;
      case 'LABEL':
        for (const [k, v] of nameValues(args, 'LABEL')) cfg.Labels = { ...cfg.Labels, [k]: v };
        break;
      case 'WORKDIR':
        cfg.WorkingDir = unquote(args);
        break;
      case 'USER':
        cfg.User = unquote(args);
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = unquote(args);
        break;
      case 'EXPOSE':
        for (const port of words(args)) {
          cfg.ExposedPorts = { ...cfg.ExposedPorts, [port.includes('/') ? port.toLowerCase() : `${port}/tcp`]: {} };
        }
        break;
      case 'VOLUME':
        for (const v of args.startsWith('[') ? jsonArray(args, 'VOLUME') : words(args)) {
          cfg.Volumes = { ...cfg.Volumes, [v]: {} };
        }
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), args];
        break;
      default:
        throw new EngineError('BAD_PARAMETER', `${instr} is not a valid change command`);
    }
  }
  return cfg;
}

/** JSON (exec) form as is; shell form wrapped in `/bin/sh -c`. */
function commandForm(args: string): string[] {
  if (args.startsWith('[')) {
    try {
      return jsonArray(args, 'CMD');
    } catch {
      // Docker falls back to the shell form when the JSON does not parse
    }
  }
  return ['/bin/sh', '-c', args];
}

function jsonArray(args: string, instr: string): string[] {
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new EngineError('BAD_PARAMETER', `${instr} requires a JSON array of strings`);
  }
  return v;
}

/** `k=v k2="v 2"` pairs, or the legacy single `k v…` form. */
function nameValues(args: string, instr: string): [string, string][] {
  const ws = words(args);
  if (ws.length === 0) throw new EngineError('BAD_PARAMETER', `${instr} requires at least one argument`);
  if (!ws[0]!.includes('=')) {
    const [key, ...rest] = splitOnce(args);
    return [[key, unquote(rest.join(''))]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new EngineError('BAD_PARAMETER', `${instr} names can not be blank: ${w}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function splitOnce(s: string): [string, string] {
  const m = /^(\S+)\s+([\s\S]*)$/.exec(s);
  return m ? [m[1]!, m[2]!] : [s, ''];
}

/** Shell-like words: whitespace separates, single/double quotes group, backslash escapes; quotes removed. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new EngineError('BAD_PARAMETER', `unmatched quote in: ${s}`);
  if (inWord) out.push(cur);
  return out;
}

function unquote(s: string): string {
  const w = words(s);
  return w.length === 0 ? '' : w.join(' ');
}
