import { DockerfileParser } from 'dockerfile-ast';
import { EngineError } from '../errors.js';

/** One instruction as the classic builder's parser sees it, before its arguments are interpreted. */
export interface DockerfileNode {
  /** Upper-cased keyword (`RUN`). */
  keyword: string;
  /** 1-based first and last physical line. */
  line: number;
  endLine: number;
  /** The instruction with continuation lines joined and comments dropped, as Docker prints it in `Step n/m : …`. */
  original: string;
  /** `--name[=value]` flags between the keyword and the arguments. */
  flags: { name: string; value: string | undefined }[];
  /** The arguments after the flags, untouched. */
  rest: string;
}

export interface ParsedDockerfile {
  escapeToken: string;
  nodes: DockerfileNode[];
  warnings: string[];
}

export function parseError(line: number, message: string): EngineError {
  return new EngineError('BAD_PARAMETER', `dockerfile parse error line ${line}: ${message}`);
}

/**
 * Parse a Dockerfile into nodes. dockerfile-ast finds the parser directives and where each
 * instruction starts and ends (continuations, comments inside them, empty continuation lines),
 * with the same rules as Docker's parser. The instruction text is then re-joined from those lines
 * the way moby's parser builds `Original` (first line left-trimmed, continuation lines appended
 * as they are, comment and blank lines inside dropped), since that text is what Docker prints
 * and what its argument parsers work on.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const source = text.replace(/^\uFEFF/, '');
  const df = DockerfileParser.parse(source);
  const escapeToken = df.getEscapeCharacter();
  const lines = source.split(/\r?\n/);
  const continuation = continuationRegex(escapeToken);
  const nodes: DockerfileNode[] = [];
  const warnings: string[] = [];
  for (const inst of df.getInstructions()) {
    const range = inst.getRange();
    const start = range.start.line;
    const end = range.end.line;
    let joined = (lines[start] ?? '').slice(range.start.character).trimStart();
    let open = continuation.test(joined);
    if (open) joined = joined.replace(continuation, '');
    for (let n = start + 1; n <= end; n++) {
      const raw = lines[n] ?? '';
      if (!open) {
        // dockerfile-ast keeps heredoc bodies inside the instruction; the classic builder has no heredocs
        throw parseError(n + 1, 'heredocs (<<EOF) need BuildKit; the classic builder does not support them');
      }
      if (/^\s*#/.test(raw)) continue;
      if (raw.trim() === '') {
        warnings.push(`[WARNING]: Empty continuation line found in:\n    ${joined}`);
        continue;
      }
      open = continuation.test(raw);
      joined += open ? raw.replace(continuation, '') : raw;
    }
    nodes.push(nodeFromLine(joined, start + 1, end + 1));
  }
  return { escapeToken, nodes, warnings };
}

function continuationRegex(escapeToken: string): RegExp {
  return new RegExp(`${escapeToken.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}[ \\t]*$`);
}

/** Split one joined instruction line into keyword, flags and arguments (moby's splitCommand + extractBuilderFlags). */
export function nodeFromLine(joined: string, line: number, endLine = line): DockerfileNode {
  const original = joined.trim();
  const m = /^(\S+)\s*([\s\S]*)$/.exec(original);
  const keyword = (m?.[1] ?? '').toUpperCase();
  const { flags, rest } = extractFlags(m?.[2] ?? '');
  return { keyword, line, endLine, original, flags, rest };
}

/**
 * Leading `--name=value` words (quotes group, backslash escapes inside them); the first word
 * not starting with `--`, or a bare `--`, ends the flags.
 */
function extractFlags(text: string): { flags: DockerfileNode['flags']; rest: string } {
  const flags: DockerfileNode['flags'] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (!text.startsWith('--', pos)) return { flags, rest: text.slice(pos) };
    let word = '';
    let quote = '';
    let i = pos;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (quote) {
        if (ch === quote) quote = '';
        else if (ch === '\\' && i + 1 < text.length) word += text[++i];
        else word += ch;
      } else if (/\s/.test(ch)) break;
      else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < text.length) word += text[++i];
      else word += ch;
    }
    pos = i;
    if (word === '--') return { flags, rest: text.slice(pos).trimStart() };
    const body = word.slice(2);
    const eq = body.indexOf('=');
    flags.push(eq < 0 ? { name: body, value: undefined } : { name: body.slice(0, eq), value: body.slice(eq + 1) });
  }
}

/**
 * Whitespace-separated words that keep their quotes and escapes (moby's parseWords), for
 * `ENV`/`LABEL`/`ARG`, whose parts are expanded and unquoted later by the shell lexer.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  const chars = [...rest];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === escapeToken && quote !== "'" && i + 1 < chars.length) {
        word += ch;
        i++;
        word += chars[i];
        continue;
      }
      word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") quote = ch;
    if (ch === escapeToken) {
      if (i + 1 === chars.length) continue; // an escape at the very end is dropped
      word += ch;
      i++;
      word += chars[i];
      continue;
    }
    word += ch;
  }
  if (inWord) words.push(word);
  return words;
}
