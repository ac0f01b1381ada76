/**
 * Go's `filepath.Match` on '/'-separated paths, which COPY/ADD wildcards follow: `*` is any run of
 * non-'/' characters, `?` one non-'/' character, `[...]` a class (`^` negates, `a-z` ranges,
 * `\` escapes), `\x` a literal x. Hand-written: glob libraries (minimatch, picomatch) add `**`,
 * braces, extglobs and `!` negation, which would match paths Docker does not.
 */
export function goPatternToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= pattern.length) throw new Error('syntax error in pattern');
      re += escapeRe(pattern[i]!);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let closed = false;
      let first = true;
      for (; j < pattern.length; j++) {
        let c = pattern[j]!;
        if (c === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (c === '\\') {
          j++;
          if (j >= pattern.length) throw new Error('syntax error in pattern');
          c = pattern[j]!;
        }
        if (c === '-' && cls !== '' && cls !== '^' && pattern[j + 1] !== ']') cls += '-';
        else cls += escapeRe(c);
      }
      if (!closed || cls === '' || cls === '^') throw new Error('syntax error in pattern');
      // a class never matches the separator
      re += cls.startsWith('^') ? `[${cls}/]` : `(?![/])[${cls}]`;
      i = j;
    } else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

export function goMatch(pattern: string, path: string): boolean {
  return goPatternToRegExp(pattern).test(path);
}

/** Whether a COPY/ADD source has unescaped wildcard characters. */
export function hasWildcards(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}
