// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and shell text, not templates
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { build, buildOk, contextDir, history, inspect, removeContextDirs } from './helpers.js';

const d = new TestDaemon();

beforeAll(async () => {
  await d.start();
  d.ok(['import', '-c', 'CMD ["/bin/sh"]', busyboxTar(), 'bb']);
});
afterAll(async () => {
  try {
    await d.cleanup();
  } finally {
    removeContextDirs();
  }
});

describe('metadata instructions', () => {
  it('ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, CMD, ENTRYPOINT, MAINTAINER', () => {
    const dir = contextDir({
      Dockerfile: [
        'FROM bb',
        'MAINTAINER Jane <jane@example.com>',
        'ENV A=1 B="two words"',
        'ENV C ${A}-$B and more',
        'ENV A=2 D=$A',
        'LABEL "org.x"="$A" plain=yes',
        'EXPOSE 80 443/udp 8000-8001',
        'VOLUME /data /logs',
        'VOLUME ["/vol one", "/vol2"]',
        'USER app:app',
        'WORKDIR /srv',
        'WORKDIR sub',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD wget -q localhost || exit 1',
        'SHELL ["/bin/sh", "-ec"]',
        'ONBUILD RUN echo triggered',
        'ENTRYPOINT ["/bin/echo"]',
        'CMD hello $A',
      ].join('\n'),
    });
    buildOk(d, dir, ['-t', 'meta']);
    const cfg = inspect(d, 'meta').Config;
    expect(cfg.Env).toEqual(expect.arrayContaining(['A=2', 'B=two words', 'C=1-two words and more', 'D=1']));
    expect(cfg.Labels).toEqual({ 'org.x': '2', plain: 'yes' });
    expect(Object.keys(cfg.ExposedPorts).sort()).toEqual(['443/udp', '80/tcp', '8000/tcp', '8001/tcp']);
    expect(Object.keys(cfg.Volumes).sort()).toEqual(['/data', '/logs', '/vol one', '/vol2']);
    expect(cfg.User).toBe('app:app');
    expect(cfg.WorkingDir).toBe('/srv/sub');
    expect(cfg.StopSignal).toBe('SIGQUIT');
    expect(cfg.Healthcheck).toMatchObject({
      Test: ['CMD-SHELL', 'wget -q localhost || exit 1'],
      Interval: 5e9,
      Timeout: 3e9,
      Retries: 2,
    });
    expect(cfg.Shell).toEqual(['/bin/sh', '-ec']);
    expect(cfg.OnBuild).toEqual(['RUN echo triggered']);
    expect(cfg.Entrypoint).toEqual(['/bin/echo']);
    expect(cfg.Cmd).toEqual(['/bin/sh', '-ec', 'hello $A']);
    expect(inspect(d, 'meta').Author).toBe('Jane <jane@example.com>');
    // the CMD set after ENTRYPOINT stays; the image runs as its config says
    expect(d.ok(['run', '--rm', '--entrypoint', '', 'meta', 'sh', '-c', 'pwd; id -u'])).toBe('/srv/sub\n1000');

    const lines = history(d, 'meta').map((h) => h.createdBy);
    expect(lines).toContain('/bin/sh -ec #(nop)  CMD ["/bin/sh" "-ec" "hello $A"]');
    expect(lines).toContain('/bin/sh -c #(nop)  ENV A=1 B=two words');
    expect(lines).toContain('/bin/sh -c #(nop)  EXPOSE 80 443/udp 8000-8001');
    expect(lines).toContain('/bin/sh -c #(nop) WORKDIR /srv/sub');
    expect(lines).toContain(
      '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q localhost || exit 1"] "5s" "3s" "0s" "0s" \'\\x02\'}',
    );
    expect(lines).toContain('/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]'); // the new shell writes its own line
  });

  it('ONBUILD triggers run when the image is a base, and are not inherited further', () => {
    const dir = contextDir({ Dockerfile: 'FROM bb\nONBUILD RUN echo from-trigger > /trigger\nONBUILD ENV T=1\n' });
    buildOk(d, dir, ['-t', 'onbuild-base']);
    const child = contextDir({ Dockerfile: 'FROM onbuild-base\nRUN cat /trigger\n' });
    const out = buildOk(d, child, ['-t', 'onbuild-child']);
    expect(out).toContain('# Executing 2 build triggers');
    expect(out).toContain('from-trigger');
    const cfg = inspect(d, 'onbuild-child').Config;
    expect(cfg.OnBuild ?? []).toEqual([]);
    expect(cfg.Env).toContain('T=1');
  });

  it('parser directives and line continuations', () => {
    const dir = contextDir({
      Dockerfile: '# escape=`\nFROM bb\nRUN echo one `\n  two `\n# a comment inside\n  three > /out\nENV P=C:\\dir\n',
    });
    buildOk(d, dir, ['-t', 'escape']);
    expect(d.ok(['run', '--rm', 'escape', 'cat', '/out'])).toBe('one two three');
    expect(inspect(d, 'escape').Config.Env).toContain('P=C:\\dir');
  });
});

describe('RUN', () => {
  it('shell and exec forms run in a real container with the build env, user and workdir, output streamed', () => {
    const dir = contextDir({
      Dockerfile: [
        'FROM bb',
        'ENV GREETING=hello',
        'WORKDIR /work',
        'USER app',
        'RUN echo "$GREETING from $(pwd) as $(id -u)" > /tmp/shell && echo to-stdout && echo to-stderr >&2',
        'RUN ["/bin/sh", "-c", "echo exec $GREETING > /tmp/exec"]',
        'RUN ["echo", "$GREETING"]',
        'USER root',
        'SHELL ["/bin/sh", "-xc"]',
        'RUN true',
      ].join('\n'),
    });
    const r = build(d, dir, ['-t', 'runs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ ---> Running in [0-9a-f]{12}\nto-stdout\n/);
    expect(r.stdout).toContain('to-stderr'); // stderr is streamed too (in red)
    expect(r.stdout).toContain('$GREETING\n'); // exec form: no shell, no expansion
    // stderr comes wrapped in red, chunk by chunk, as dockerd sends it
    expect(r.stdout).toContain('\u001b[91mto-stderr\n\u001b[0m');
    expect(r.stdout.replaceAll('\u001b[91m', '').replaceAll('\u001b[0m', '')).toContain('+ true'); // SHELL applies to later RUNs
    expect(r.stdout).toMatch(/ ---> Removed intermediate container [0-9a-f]{12}/);
    expect(d.ok(['run', '--rm', 'runs', 'cat', '/tmp/shell', '/tmp/exec'])).toBe(
      'hello from /work as 1000\nexec hello',
    );
    expect(d.ok(['ps', '-aq'])).toBe('');
    const lines = history(d, 'runs').map((h) => h.createdBy);
    expect(lines).toContain('/bin/sh -c echo exec $GREETING > /tmp/exec'); // exec form: its argv
    expect(lines).toContain('echo $GREETING');
  });

  it('history shows each step with its size', () => {
    const dir = contextDir({ Dockerfile: 'FROM bb\nRUN head -c 100000 /dev/zero > /blob\nRUN true\n' });
    buildOk(d, dir, ['-t', 'sized']);
    const h = history(d, 'sized');
    expect(h[0]).toMatchObject({ createdBy: '/bin/sh -c true', size: '0B' });
    expect(h[1]?.createdBy).toBe('/bin/sh -c head -c 100000 /dev/zero > /blob');
    expect(h[1]?.size).toBe('100kB');
  });
});

describe('COPY and ADD', () => {
  it('globs, directory contents, destination rules, --chown with names from the image', () => {
    const dir = contextDir({
      Dockerfile: [
        'FROM bb',
        'COPY *.txt /glob/',
        'COPY dir /contents',
        'COPY dir /withslash/',
        'COPY a.txt /renamed.txt',
        'COPY a.txt b.txt relative/',
        'COPY --chown=app a.txt /owned/',
        'COPY --chown=1234:5678 dir /numeric/',
        'WORKDIR /wd',
        'COPY a.txt .',
      ].join('\n'),
      'a.txt': 'A\n',
      'b.txt': 'B\n',
      'c.md': 'C\n',
      'dir/x': 'X',
      'dir/sub/y': 'Y',
    });
    buildOk(d, dir, ['-t', 'copies']);
    const out = d.ok([
      'run',
      '--rm',
      'copies',
      'sh',
      '-c',
      'cd /; ls glob; ls contents contents/sub; ls withslash; cat renamed.txt; ls relative; stat -c "%u:%g %n" owned/a.txt numeric numeric/sub/y; cat /wd/a.txt',
    ]);
    expect(out.split('\n')).toEqual([
      'a.txt',
      'b.txt',
      'contents:',
      'sub',
      'x',
      '',
      'contents/sub:',
      'y',
      'sub',
      'x',
      'A',
      'a.txt',
      'b.txt',
      '1000:1000 owned/a.txt',
      '1234:5678 numeric',
      '1234:5678 numeric/sub/y',
      'A',
    ]);
  });

  it('refuses several sources to a non-directory destination and missing sources, naming the line', () => {
    const many = build(d, contextDir({ Dockerfile: 'FROM bb\nCOPY a b /notdir\n', a: '', b: '' }));
    expect(many.code).not.toBe(0);
    expect(many.stderr).toContain(
      'Dockerfile:2: COPY a b /notdir: When using COPY with more than one source file, the destination must be a directory and end with a /',
    );
    const missing = build(d, contextDir({ Dockerfile: 'FROM bb\n\nCOPY nothere /x\n' }));
    expect(missing.stderr).toContain(
      'Dockerfile:3: COPY nothere /x: COPY failed: file not found in build context or excluded by .dockerignore: stat nothere: file does not exist',
    );
    const user = build(d, contextDir({ Dockerfile: 'FROM bb\nCOPY --chown=nobody-here a /x\n', a: '' }));
    expect(user.stderr).toMatch(/no such user: nobody-here/);
  });

  it('ADD unpacks a local tar (through the secure extractor) and copies other files as they are', () => {
    const dir = contextDir({
      Dockerfile: 'FROM bb\nADD payload.tar.gz /unpacked/\nADD plain.txt /plain/\nCOPY payload.tar.gz /copied/\n',
      'plain.txt': 'p\n',
    });
    const payload = join(dir, 'payload');
    mkdirSync(join(payload, 'p'), { recursive: true });
    writeFileSync(join(payload, 'p', 'inside.txt'), 'inside\n');
    execFileSync('tar', ['-C', payload, '-czf', join(dir, 'payload.tar.gz'), 'p']);
    buildOk(d, dir, ['-t', 'adds']);
    expect(d.ok(['run', '--rm', 'adds', 'sh', '-c', 'cat /unpacked/p/inside.txt /plain/plain.txt; ls /copied'])).toBe(
      'inside\np\npayload.tar.gz',
    );
  });

  it('FROM scratch with COPY only', () => {
    const dir = contextDir({ Dockerfile: 'FROM scratch\nCOPY f /f\nCMD ["/f"]\n', f: 'scratch file' });
    const out = buildOk(d, dir, ['-t', 'fromscratch']);
    expect(out).toContain('Step 1/3 : FROM scratch\n --->');
    const img = inspect(d, 'fromscratch');
    expect(img.RootFS.Layers).toHaveLength(1);
    const saved = d.docker(['save', 'fromscratch']);
    expect(saved.code).toBe(0);
  });

  it('FROM by image digest', () => {
    const id = inspect(d, 'bb').Id as string;
    const dir = contextDir({ Dockerfile: `FROM bb@${id}\nRUN echo pinned\n` });
    expect(buildOk(d, dir)).toContain('pinned');
  });
});

describe('errors', () => {
  it('a parse error names its line, before anything runs', () => {
    const r = build(d, contextDir({ Dockerfile: 'FROM bb\nRUN true\nFOO bar\n' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('dockerfile parse error line 3: unknown instruction: FOO');
    expect(r.stdout).not.toContain('Step 1/');
  });
});
