import type { ImageConfigSection } from '../types/oci.js';

/**
 * The `created_by` lines of the classic builder, as `docker history` shows them. They are
 * built with Go's fmt verbs (`%q` of a string slice, `%v` of a slice, `%q` of the healthcheck
 * struct), so these helpers reproduce that formatting.
 */

const GO_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = GO_ESCAPES[ch];
    if (esc) out += esc;
    else {
      const code = ch.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += ch;
    }
  }
  return `${out}"`;
}

/** `fmt.Sprintf("%q", []string{…})`: `["a" "b"]`. */
export function goQuoteSlice(items: readonly string[] | null | undefined): string {
  return `[${(items ?? []).map(goQuote).join(' ')}]`;
}

/** `fmt.Sprintf("%v", []string{…})`: `[a b]`. */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go's time.Duration.String() for a nanosecond count. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trim(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trim(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    out = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trim(n / 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}

/** `fmt.Sprintf("%q", healthConfig)`: `&{["CMD-SHELL" "true"] "5s" "0s" "0s" "0s" '\x00'}`. */
export function goHealthcheck(h: NonNullable<ImageConfigSection['Healthcheck']> & { StartInterval?: number }): string {
  const retries = h.Retries ?? 0;
  const rune =
    retries < 0x20 || retries === 0x7f
      ? `'\\x${retries.toString(16).padStart(2, '0')}'`
      : `'${String.fromCodePoint(retries)}'`;
  const durations = [h.Interval, h.Timeout, h.StartPeriod, h.StartInterval].map((d) => goQuote(goDuration(d ?? 0)));
  return `&{${goQuoteSlice(h.Test)} ${durations.join(' ')} ${rune}}`;
}

/** A metadata step's history line: the shell, then `#(nop) ` and the comment as separate words. */
export function nopCreatedBy(shell: readonly string[], comment: string): string {
  return [...shell, '#(nop) ', comment].join(' ');
}

/** WORKDIR, COPY and ADD use the older single-word form (`#(nop) WORKDIR /app`). */
export function nopCreatedByOneWord(shell: readonly string[], comment: string): string {
  return [...shell, `#(nop) ${comment}`].join(' ');
}
