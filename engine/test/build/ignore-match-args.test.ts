import { describe, expect, it } from 'vitest';
import { BuildArgs } from '../../src/build/buildargs.js';
import { DockerIgnore } from '../../src/build/dockerignore.js';
import { goMatch, hasWildcards } from '../../src/build/match.js';

describe('DockerIgnore (moby patternmatcher rules)', () => {
  const ig = new DockerIgnore(
    [
      '# comment',
      '',
      '*.log',
      '!keep.log',
      'build/',
      '/abs',
      'docs/**/*.md',
      'a?c',
      'tmp*',
      '!tmpkeep',
      '**/x.txt',
      'dir/*',
      '!dir/in',
      '  spaced  ',
    ].join('\n'),
  );
  const cases: [string, boolean][] = [
    ['a.log', true],
    ['keep.log', false],
    ['sub/a.log', false], // `*` stays in one path component, at the root
    ['build', true],
    ['build/x/y', true], // everything under an ignored directory
    ['abs', true],
    ['docs/a.md', true],
    ['docs/x/y/z.md', true],
    ['abc', true],
    ['abbc', false],
    ['tmp1', true],
    ['tmpkeep', false],
    ['deep/er/x.txt', true],
    ['x.txt', true],
    ['dir/a', true],
    ['dir/in', false],
    ['dir/in/deeper', false],
    ['dir', false],
    ['spaced', true],
    ['', false],
    ['.', false],
  ];
  for (const [path, ignored] of cases) {
    it(`${path || '(root)'} → ${ignored ? 'ignored' : 'kept'}`, () => expect(ig.ignores(path)).toBe(ignored));
  }
  it('an empty file ignores nothing', () => {
    expect(new DockerIgnore('\n# x\n').empty).toBe(true);
    expect(new DockerIgnore(undefined).ignores('anything')).toBe(false);
  });
});

describe('goMatch (filepath.Match)', () => {
  const cases: [string, string, boolean][] = [
    ['*.txt', 'a.txt', true],
    ['*.txt', 'dir/a.txt', false],
    ['dir/*.txt', 'dir/a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['\\*x', '*x', true],
    ['\\*x', 'ax', false],
    ['a*', 'a/b', false],
    ['file[0-9].txt', 'file7.txt', true],
  ];
  for (const [pattern, path, want] of cases) {
    it(`${pattern} ~ ${path}`, () => expect(goMatch(pattern, path)).toBe(want));
  }
  it('rejects a bad pattern and spots wildcards', () => {
    expect(() => goMatch('[a', 'a')).toThrow(/syntax error/);
    expect(hasWildcards('a/*.txt')).toBe(true);
    expect(hasWildcards('a/\\*.txt')).toBe(false);
    expect(hasWildcards('plain/path')).toBe(false);
  });
});

describe('BuildArgs', () => {
  it('a --build-arg reaches a stage only through ARG; defaults, overrides and global ARGs', () => {
    const args = new BuildArgs({ A: 'given', B: null, HTTP_PROXY: 'http://proxy', UNUSED: 'x' });
    args.addMetaArg('V', '1');
    args.addMetaArg('A', 'meta-default');
    expect(Object.fromEntries(args.metaValues())).toEqual({ V: '1', A: 'given', HTTP_PROXY: 'http://proxy' });
    args.newStage();
    expect(Object.fromEntries(args.allowedValues())).toEqual({ HTTP_PROXY: 'http://proxy' });
    args.addArg('V', undefined); // takes the global value
    args.addArg('B', 'dflt'); // null from the CLI: the default stands
    args.addArg('A', 'stage-default'); // the --build-arg wins
    expect(Object.fromEntries(args.allowedValues())).toEqual({
      V: '1',
      B: 'dflt',
      A: 'given',
      HTTP_PROXY: 'http://proxy',
    });
    expect(args.filterAllowed(['B=from-env'])).toEqual(['V=1', 'A=given', 'HTTP_PROXY=http://proxy']);
    expect(args.shownInHistory('HTTP_PROXY')).toBe(false);
    expect(args.shownInHistory('A')).toBe(true);
    expect(args.unused()).toEqual(['UNUSED']);
    args.newStage();
    expect([...args.allowedValues().keys()]).toEqual(['HTTP_PROXY']);
  });

  it('an ARG without default, value or global ARG is not set at all', () => {
    const args = new BuildArgs({});
    args.addArg('X', undefined);
    expect(args.allowedValues().has('X')).toBe(false);
  });
});
