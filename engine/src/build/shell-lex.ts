import { EngineError } from '../errors.js';

/**
 * Docker's word processing for Dockerfile arguments (moby/buildkit `shell.Lex`): quotes, the
 * escape token, and `$var`, `${var}`, `${var:-word}`, `${var-word}`, `${var:+word}`,
 * `${var+word}`, `${var:?msg}`, `${var?msg}` expansion. Hand-written: no npm package implements
 * these rules (shell-quote and friends follow POSIX sh, which differs: no `~`, no globbing, no
 * command substitution, escapes inside double quotes only before `"`, `$` and the escape token).
 */

/** Variables for expansion, as `KEY=value` entries (a later entry wins) or a map. */
export type ShellEnv = readonly string[] | ReadonlyMap<string, string>;

const EOF = '';
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

function toMap(env: ShellEnv): ReadonlyMap<string, string> {
  if (!Array.isArray(env)) return env as ReadonlyMap<string, string>;
  const m = new Map<string, string>();
  for (const e of env as readonly string[]) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** Collects the words of ProcessWords: unquoted whitespace (also inside `$var` values) splits. */
class Words {
  readonly words: string[] = [];
  private word = '';
  private inWord = false;

  addChar(ch: string): void {
    if (/\s/.test(ch) && this.inWord) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    } else if (!/\s/.test(ch)) this.addRaw(ch);
  }

  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  addExpansion(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  finish(): string[] {
    if (this.inWord) this.words.push(this.word);
    return this.words;
  }
}

class Scanner {
  private readonly chars: string[];
  private pos = 0;
  constructor(
    word: string,
    private readonly escapeToken: string,
    private readonly env: ReadonlyMap<string, string>,
  ) {
    this.chars = [...word];
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    return this.chars[this.pos++] ?? EOF;
  }

  /** Process up to `stop` (consumed) or the end; returns the text and its words. */
  process(stop: string | undefined): { text: string; words: string[] } {
    let text = '';
    const words = new Words();
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) {
        if (stop !== undefined)
          throw new EngineError('BAD_PARAMETER', `unexpected end of statement while looking for matching ${stop}`);
        break;
      }
      if (stop !== undefined && ch === stop) {
        this.next();
        break;
      }
      if (ch === "'") {
        const s = this.singleQuoted();
        text += s;
        words.addRaw(s);
      } else if (ch === '"') {
        const s = this.doubleQuoted();
        text += s;
        words.addRaw(s);
      } else if (ch === '$') {
        const s = this.dollar();
        text += s;
        words.addExpansion(s);
      } else {
        this.next();
        if (ch === this.escapeToken) {
          const escaped = this.next();
          if (escaped === EOF) break; // a trailing escape is dropped, as Docker does
          text += escaped;
          words.addRaw(escaped);
        } else {
          text += ch;
          words.addChar(ch);
        }
      }
    }
    return { text, words: words.finish() };
  }

  private singleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === EOF)
        throw new EngineError('BAD_PARAMETER', 'unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF)
        throw new EngineError('BAD_PARAMETER', 'unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.next();
      if (ch === this.escapeToken) {
        const after = this.peek();
        if (after === EOF) continue;
        // only these can be escaped inside double quotes; other escapes stay as written
        if (after === '"' || after === '$' || after === this.escapeToken) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private lookup(name: string): string | undefined {
    return this.env.get(name);
  }

  private dollar(): string {
    this.next(); // '$'
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.lookup(name) ?? '';
    }
    this.next(); // '{'
    const first = this.peek();
    if (first === EOF) throw new EngineError('BAD_PARAMETER', "syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new EngineError('BAD_PARAMETER', 'syntax error: bad substitution');
    const name = this.name();
    const op = this.next();
    const value = this.lookup(name);
    switch (op) {
      case '}':
        return value ?? '';
      case '?': {
        const { text } = this.process('}');
        if (value === undefined)
          throw new EngineError('BAD_PARAMETER', `${name}: ${text || 'is not allowed to be unset'}`);
        return value;
      }
      case '-': {
        const { text } = this.process('}');
        return value === undefined ? text : value;
      }
      case '+': {
        const { text } = this.process('}');
        return value === undefined ? '' : text;
      }
      case ':': {
        const modifier = this.next();
        const { text } = this.process('}');
        switch (modifier) {
          case '-':
            return value ? value : text;
          case '+':
            return value ? text : '';
          case '?':
            if (!value) throw new EngineError('BAD_PARAMETER', `${name}: ${text || 'is not allowed to be empty'}`);
            return value;
          default:
            throw new EngineError('BAD_PARAMETER', `unsupported modifier (${modifier}) in substitution`);
        }
      }
      case EOF:
        throw new EngineError('BAD_PARAMETER', "syntax error: missing '}'");
      default:
        throw new EngineError('BAD_PARAMETER', `unsupported modifier (${op}) in substitution`);
    }
  }

  /** A variable name: letters, digits and '_'; a run of digits or one special parameter alone. */
  private name(): string {
    let name = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) return name;
      if (name === '' && /\d/.test(ch)) {
        while (/\d/.test(this.peek()) && this.peek() !== EOF) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!/[\p{L}\p{N}_]/u.test(ch)) return name;
      name += this.next();
    }
  }
}

export class ShellLex {
  constructor(readonly escapeToken: string = '\\') {}

  /** One word with quotes removed and variables expanded (whitespace kept). */
  processWord(word: string, env: ShellEnv): string {
    return new Scanner(word, this.escapeToken, toMap(env)).process(undefined).text;
  }

  /** Like processWord, then split on unquoted whitespace (EXPOSE $PORTS with PORTS="80 443"). */
  processWords(word: string, env: ShellEnv): string[] {
    return new Scanner(word, this.escapeToken, toMap(env)).process(undefined).words;
  }
}
