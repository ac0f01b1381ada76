// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and shell text, not templates
import { describe, expect, it } from 'vitest';
import { ShellLex } from '../../src/build/shell-lex.js';

const env = [
  'PWD=/home',
  'SHELL=bash',
  'EMPTY=',
  'KOREAN=한국어',
  'space=abc  def',
  'leading=  ab c',
  'trailing=ab c   ',
];
const lex = new ShellLex();

describe('ShellLex.processWord (Docker word rules)', () => {
  const cases: [string, string | Error][] = [
    ['hello', 'hello'],
    ["he'll'o", 'hello'],
    ["he\\'llo", "he'llo"],
    ['abc\\tdef', 'abctdef'],
    ['"abc\\tdef"', 'abc\\tdef'],
    ['"abc\\\\tdef"', 'abc\\tdef'],
    ["'abc\\tdef'", 'abc\\tdef'],
    ['hello\\', 'hello'],
    ['hello\\\\', 'hello\\'],
    ['"hel\'lo"', "hel'lo"],
    ["'hello\\'", 'hello\\'],
    ['"\'\'"', "''"],
    ['$.', '$.'],
    ['$1', ''],
    ['he$1x', 'hex'],
    ['he$pwd.', 'he.'],
    ['he$PWD', 'he/home'],
    ['he\\$PWD', 'he$PWD'],
    ['he\\\\$PWD', 'he\\/home'],
    ['"he\\$PWD"', 'he$PWD'],
    ['"he\\\\$PWD"', 'he\\/home'],
    ['\\${}', '${}'],
    ['he${hi}xx', 'hexx'],
    ['he${PWD}', 'he/home'],
    ['he${XXX:-000}xx', 'he000xx'],
    ['he${PWD:-000}xx', 'he/homexx'],
    ['he${EMPTY:-000}xx', 'he000xx'],
    ['he${EMPTY-000}xx', 'hexx'],
    ['he${XXX-000}xx', 'he000xx'],
    ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
    ['he${PWD:+${SHELL}}xx', 'hebashxx'],
    ['he${EMPTY+set}xx', 'hesetxx'],
    ['he${EMPTY:+set}xx', 'hexx'],
    ["'he${XX}'", 'he${XX}'],
    ['"he\'$PWD\'"', "he'/home'"],
    ["'\\$PWD'", '\\$PWD'],
    ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
    ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
    ["안'녕'하세요", '안녕하세요'],
    ['안녕$KOREAN', '안녕한국어'],
    ['${aaa}}', '}'],
    ['${aaa:-bbb {foo}', 'bbb {foo'],
    ['${PWD:?}', '/home'],
    ["he'llo", new Error('single-quote')],
    ['"hello', new Error('double-quote')],
    ['"hello\\"', new Error('double-quote')],
    ['${}', new Error('bad substitution')],
    ['he${.}', new Error('modifier')],
    ['he${XXX:YYY}', new Error('modifier')],
    ['he${PWD', new Error('}')],
    ['he${PWD:=000}xx', new Error('modifier')],
    ['${aaa:-bbb ${foo}', new Error('}')],
    ['${:-bbb}', new Error('bad substitution')],
    ['${XXX:?must be set}', new Error('XXX: must be set')],
    ['${EMPTY?}', ''],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      if (want instanceof Error) expect(() => lex.processWord(input, env)).toThrow(want.message);
      else expect(lex.processWord(input, env)).toBe(want);
    });
  }

  it('honours another escape token (escape=`)', () => {
    const tick = new ShellLex('`');
    expect(tick.processWord('C:\\dir`$PWD', env)).toBe('C:\\dir$PWD');
    expect(tick.processWord('"a`"b"', env)).toBe('a"b');
  });

  it('a later entry of the same name wins; a map works too', () => {
    expect(lex.processWord('$A', ['A=1', 'A=2'])).toBe('2');
    expect(lex.processWord('${A}x', new Map([['A', 'm']]))).toBe('mx');
  });
});

describe('ShellLex.processWords (word splitting after expansion)', () => {
  const cases: [string, string[]][] = [
    ['hello', ['hello']],
    ['hello${space}bye', ['helloabc', 'defbye']],
    ['hello"${space}"bye', ['helloabc  defbye']],
    ['hello "${space}"bye', ['hello', 'abc  defbye']],
    ['hello${leading}def', ['hello', 'ab', 'cdef']],
    ['hello"${leading}" def', ['hello  ab c', 'def']],
    ['hello${trailing}d', ['helloab', 'c', 'd']],
    ['hel"lo${trailing}"', ['helloab c   ']],
    ['hello" there  "', ['hello there  ']],
    ['hello there     ', ['hello', 'there']],
    ['hello\\ there', ['hello there']],
    ['hello\\" there', ['hello"', 'there']],
    ['80 $PORTS', ['80', '443', '8080']],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      expect(lex.processWords(input, [...env, 'PORTS=443 8080'])).toEqual(want);
    });
  }
});
