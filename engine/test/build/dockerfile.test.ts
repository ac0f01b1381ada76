import { describe, expect, it } from 'vitest';
import { parseDockerfile, parseWords } from '../../src/build/dockerfile.js';
import { parseGoDuration, parseInstruction } from '../../src/build/instructions.js';
import { planDockerfile, stagesUpTo } from '../../src/build/stages.js';

function one(text: string) {
  const { nodes, escapeToken } = parseDockerfile(text);
  return parseInstruction(nodes[0]!, escapeToken);
}

describe('parseDockerfile', () => {
  it('joins continuation lines as Docker prints them, dropping comment and blank lines inside', () => {
    const { nodes, warnings } = parseDockerfile(
      'FROM bb\nRUN echo a && \\\n# note\n    echo b \\  \n\n    && echo c\nCMD x\n',
    );
    expect(nodes.map((n) => [n.keyword, n.line, n.endLine, n.original])).toEqual([
      ['FROM', 1, 1, 'FROM bb'],
      ['RUN', 2, 6, 'RUN echo a &&     echo b     && echo c'],
      ['CMD', 7, 7, 'CMD x'],
    ]);
    expect(warnings[0]).toMatch(/Empty continuation line/);
  });

  it('honours the escape directive and lower-case keywords', () => {
    const { nodes, escapeToken } = parseDockerfile('# escape=`\n\n  from bb AS Build\nrun dir C:\\ `\n  /w\n');
    expect(escapeToken).toBe('`');
    expect(nodes.map((n) => [n.keyword, n.original, n.rest])).toEqual([
      ['FROM', 'from bb AS Build', 'bb AS Build'],
      ['RUN', 'run dir C:\\   /w', 'dir C:\\   /w'],
    ]);
  });

  it('separates leading --flags from the arguments, quotes allowed', () => {
    const { nodes } = parseDockerfile('COPY --chown="app user":app --from=build a b /dst/\nRUN -- --not-a-flag\n');
    expect(nodes[0]!.flags).toEqual([
      { name: 'chown', value: 'app user:app' },
      { name: 'from', value: 'build' },
    ]);
    expect(nodes[0]!.rest).toBe('a b /dst/');
    expect(nodes[1]!.flags).toEqual([]);
    expect(nodes[1]!.rest).toBe('--not-a-flag');
  });

  it('refuses heredocs with the line they are on', () => {
    expect(() => parseDockerfile('FROM bb\nRUN <<EOF\necho hi\nEOF\n')).toThrow(/line 3: heredocs/);
  });

  it('parseWords keeps quotes and escapes for later expansion', () => {
    expect(parseWords('A=1 B="two words" C=\'x y\' D=a\\ b', '\\')).toEqual([
      'A=1',
      'B="two words"',
      "C='x y'",
      'D=a\\ b',
    ]);
  });
});

describe('parseInstruction', () => {
  it('RUN, CMD and ENTRYPOINT: JSON arrays are the exec form, anything else the shell form', () => {
    expect(one('RUN ["echo", "a b"]')).toMatchObject({ kind: 'RUN', cmd: { json: true, args: ['echo', 'a b'] } });
    expect(one('CMD echo "$HOME"')).toMatchObject({ kind: 'CMD', cmd: { json: false, line: 'echo "$HOME"' } });
    expect(one('ENTRYPOINT [not json')).toMatchObject({ cmd: { json: false, line: '[not json' } });
    expect(() => one('CMD ["a", 1]')).toThrow(/strings only/);
  });

  it('ENV and LABEL: name=value pairs or the old "name value" form', () => {
    expect(one('ENV A=1 B="two words"')).toMatchObject({
      pairs: [
        { key: 'A', value: '1' },
        { key: 'B', value: '"two words"' },
      ],
    });
    expect(one('ENV PATH /usr/bin:$PATH')).toMatchObject({ pairs: [{ key: 'PATH', value: '/usr/bin:$PATH' }] });
    expect(one('LABEL "com.x"="y z"')).toMatchObject({ pairs: [{ key: '"com.x"', value: '"y z"' }] });
    expect(() => one('ENV A=1 B')).toThrow(/can't find = in "B"/);
    expect(() => one('ENV ONLY')).toThrow(/ENV must have two arguments/);
  });

  it('ARG with and without defaults', () => {
    expect(one('ARG A B=2 C=')).toMatchObject({
      args: [{ key: 'A' }, { key: 'B', value: '2' }, { key: 'C', value: '' }],
    });
  });

  it('COPY and ADD: sources, destination, flags; JSON form keeps spaces', () => {
    expect(one('COPY --chown=1:2 --from=0 a b* /d/')).toMatchObject({
      sources: ['a', 'b*'],
      dest: '/d/',
      chown: '1:2',
      from: '0',
    });
    expect(one('ADD ["my file", "/d/"]')).toMatchObject({ kind: 'ADD', sources: ['my file'], dest: '/d/' });
    expect(() => one('COPY only')).toThrow(/at least two arguments/);
    expect(() => one('COPY --chmod=644 a b')).toThrow(/--chmod option requires BuildKit/);
    expect(() => one('RUN --mount=type=cache,target=/x true')).toThrow(/--mount option requires BuildKit/);
    expect(() => one('COPY --bogus=1 a b')).toThrow(/unknown flag: bogus/);
  });

  it('FROM with stage names and platform', () => {
    expect(one('FROM --platform=linux/amd64 bb AS Build')).toMatchObject({
      image: 'bb',
      stage: 'build',
      platform: 'linux/amd64',
    });
    expect(() => one('FROM bb AS 1x')).toThrow(/invalid name for build stage/);
    expect(() => one('FROM a b')).toThrow(/one or three arguments/);
  });

  it('HEALTHCHECK: NONE, CMD shell and exec forms, Go durations', () => {
    expect(one('HEALTHCHECK NONE')).toMatchObject({ kind: 'HEALTHCHECK' });
    expect(one('HEALTHCHECK NONE')).not.toHaveProperty('cmd');
    expect(one('HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD wget -q localhost')).toMatchObject({
      cmd: { json: false, line: 'wget -q localhost' },
      interval: 90e9,
      timeout: 500e6,
      retries: 3,
    });
    expect(() => one('HEALTHCHECK --interval=1ns CMD true')).toThrow(/cannot be less than 1ms/);
    expect(() => one('HEALTHCHECK --retries=0 CMD true')).toThrow(/at least 1/);
    expect(() => one('HEALTHCHECK FOO')).toThrow(/Unknown type "FOO"/);
    expect(parseGoDuration('1h2m3.5s')).toBe(3723.5e9);
    expect(() => parseGoDuration('5')).toThrow(/invalid duration/);
  });

  it('SHELL must be JSON; ONBUILD refuses FROM, MAINTAINER and ONBUILD', () => {
    expect(one('SHELL ["/bin/sh", "-ec"]')).toMatchObject({ shell: ['/bin/sh', '-ec'] });
    expect(() => one('SHELL /bin/sh -c')).toThrow(/JSON form/);
    expect(one('ONBUILD RUN echo hi')).toMatchObject({ trigger: 'RUN echo hi' });
    expect(() => one('ONBUILD ONBUILD RUN x')).toThrow(/Chaining ONBUILD/);
    expect(() => one('ONBUILD FROM x')).toThrow(/isn't allowed as an ONBUILD trigger/);
  });

  it('EXPOSE, VOLUME (JSON or words), WORKDIR, USER, STOPSIGNAL', () => {
    expect(one('EXPOSE 80 443/udp')).toMatchObject({ values: ['80', '443/udp'] });
    expect(one('VOLUME ["/a", "/b c"]')).toMatchObject({ values: ['/a', '/b c'] });
    expect(one('VOLUME /a /b')).toMatchObject({ values: ['/a', '/b'] });
    expect(one('WORKDIR  /app dir ')).toMatchObject({ value: '/app dir' });
    expect(() => one('STOPSIGNAL A B')).toThrow(/exactly one argument/);
  });

  it('unknown instructions name their line', () => {
    expect(() => planDockerfile('FROM bb\n\nFOO bar\n')).toThrow(
      'dockerfile parse error line 3: unknown instruction: FOO',
    );
  });
});

describe('planDockerfile', () => {
  it('global ARGs, stages and --target', () => {
    const plan = planDockerfile(
      'ARG V=1\nFROM bb:$V AS base\nRUN a\nFROM base AS Final\nCOPY --from=base /x /y\nFROM scratch\n',
    );
    expect(plan.metaArgs.map((a) => a.args)).toEqual([[{ key: 'V', value: '1' }]]);
    expect(plan.stages.map((s) => [s.name, s.index, s.from.image, s.commands.length])).toEqual([
      ['base', 0, 'bb:$V', 1],
      ['final', 1, 'base', 1],
      [undefined, 2, 'scratch', 0],
    ]);
    expect(stagesUpTo(plan, 'FINAL').length).toBe(2);
    expect(() => stagesUpTo(plan, 'nope')).toThrow(/failed to reach build target nope/);
  });

  it('refuses empty files, instructions before FROM and duplicate stage names', () => {
    expect(() => planDockerfile('\n# only a comment\n', 'Dockerfile.dev')).toThrow(
      /the Dockerfile \(Dockerfile.dev\) cannot be empty/,
    );
    expect(() => planDockerfile('RUN x\nFROM bb\n')).toThrow(/line 1: no build stage in current context/);
    expect(() => planDockerfile('FROM bb AS a\nFROM bb AS A\n')).toThrow(/line 2: duplicate name a/);
  });
});
