// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and shell text, not templates
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { build, buildOk, builtId, contextDir, history, inspect, removeContextDirs } from './helpers.js';

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

describe('multi-stage builds', () => {
  const dockerfile = [
    'ARG BASE=bb',
    'FROM ${BASE} AS builder',
    'RUN head -c 50000 /dev/urandom > /big && echo built > /artifact',
    'FROM builder AS tester',
    'RUN cat /artifact',
    'FROM ${BASE}',
    'COPY --from=builder /artifact /app/artifact',
    'COPY --from=0 /etc/passwd /app/',
    'CMD ["cat", "/app/artifact"]',
  ].join('\n');

  it('only the final stage is in the result; COPY --from takes files by stage name or index', () => {
    const out = buildOk(d, contextDir({ Dockerfile: dockerfile }), ['-t', 'multi']);
    expect(out).toContain('Step 1/9 : ARG BASE=bb');
    expect(out.match(/"aux"|Successfully built/g)).toBeTruthy();
    const img = inspect(d, 'multi');
    const base = inspect(d, 'bb');
    expect(img.RootFS.Layers).toHaveLength(base.RootFS.Layers.length + 2);
    expect(d.ok(['run', '--rm', 'multi', 'sh', '-c', 'cat /app/artifact; ls /app; test -e /big || echo no-big'])).toBe(
      'built\nartifact\npasswd\nno-big',
    );
    expect(history(d, 'multi').some((h) => h.createdBy.includes('head -c 50000'))).toBe(false);
  });

  it('--target stops at a stage', () => {
    const out = buildOk(d, contextDir({ Dockerfile: dockerfile }), ['--target', 'tester', '-t', 'tester']);
    expect(out).toContain('Step 5/5 : RUN cat /artifact');
    expect(out).not.toContain('Step 6/');
    expect(d.ok(['run', '--rm', 'tester', 'cat', '/artifact'])).toBe('built');
    const bad = build(d, contextDir({ Dockerfile: dockerfile }), ['--target', 'nope']);
    expect(bad.stderr).toContain('failed to reach build target nope in Dockerfile');
  });
});

describe('build args', () => {
  const dockerfile = [
    'ARG TAG=latest',
    'FROM bb:$TAG',
    'ARG WHO=world',
    'ARG EMPTY',
    'ARG TAG',
    'ENV FROM_ENV=$WHO',
    'RUN echo "hello $WHO tag=$TAG empty=[$EMPTY] proxy=$HTTP_PROXY" > /out',
  ].join('\n');

  it('defaults, --build-arg overrides, global ARGs redeclared, proxy args, unused ones warned about', () => {
    const dir = contextDir({ Dockerfile: dockerfile });
    buildOk(d, dir, ['-t', 'args1']);
    expect(d.ok(['run', '--rm', 'args1', 'cat', '/out'])).toBe('hello world tag=latest empty=[] proxy=');
    const out = buildOk(d, dir, [
      '-t',
      'args2',
      '--build-arg',
      'WHO=berth',
      '--build-arg',
      'HTTP_PROXY=http://proxy:3128',
      '--build-arg',
      'UNUSED=1',
    ]);
    expect(out).toContain('[Warning] One or more build-args [UNUSED] were not consumed');
    expect(d.ok(['run', '--rm', 'args2', 'cat', '/out'])).toBe(
      'hello berth tag=latest empty=[] proxy=http://proxy:3128',
    );
    expect(inspect(d, 'args2').Config.Env).toContain('FROM_ENV=berth');
    // args are not kept in the image env; the declared ones are shown in history, the proxy is not
    expect(inspect(d, 'args2').Config.Env.some((e: string) => e.startsWith('WHO='))).toBe(false);
    const run = history(d, 'args2').find((h) => h.createdBy.includes('echo "hello'));
    expect(run?.createdBy).toMatch(/^\|2 TAG=latest WHO=berth \/bin\/sh -c echo/);
    expect(run?.createdBy).not.toContain('proxy:3128');
  });
});

describe('failures', () => {
  it('a failing RUN reports its line and exit code and leaves no container, mount or snapshot behind', () => {
    const before = readdirSync(join(d.root, 'data', 'snapshots')).length;
    const r = build(
      d,
      contextDir({ Dockerfile: 'FROM bb\nRUN echo first\n\nRUN echo about to fail; exit 3\nRUN echo never\n' }),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('about to fail');
    expect(r.stdout).not.toContain('never');
    expect(r.stderr).toContain(
      "Dockerfile:4: RUN echo about to fail; exit 3: The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3",
    );
    expect(d.ok(['ps', '-aq'])).toBe('');
    expect(readdirSync(join(d.root, 'data', 'build', 'mnt'))).toEqual([]);
    expect(readdirSync(join(d.root, 'data', 'build', 'tmp'))).toEqual([]);
    // the step that succeeded left its layer; nothing else stayed (the failed container's is gone)
    const after = readdirSync(join(d.root, 'data', 'snapshots')).length;
    expect(after - before).toBeLessThanOrEqual(1);
  });

  it('--rm=false keeps the failed container for inspection; --force-rm removes it', () => {
    const dir = contextDir({ Dockerfile: 'FROM bb\nRUN echo x > /x && exit 1\n' });
    expect(build(d, dir, ['--rm=false']).code).toBe(1);
    const kept = d.ok(['ps', '-aq']);
    expect(kept).not.toBe('');
    expect(d.ok(['diff', kept])).toContain('/x');
    d.ok(['rm', kept]);
    expect(build(d, dir, ['--rm=false', '--force-rm']).code).toBe(1);
    expect(d.ok(['ps', '-aq'])).toBe('');
  });

  it('a COPY of a missing file fails with the instruction and line', () => {
    const r = build(d, contextDir({ Dockerfile: 'FROM bb\nCOPY missing.txt /\n' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Dockerfile:2: COPY missing.txt /: COPY failed: file not found in build context');
  });
});

describe('CLI options', () => {
  it('-q prints only the id; several -t; -f with another Dockerfile; --label', () => {
    const dir = contextDir({ 'build/Custom.Dockerfile': 'FROM bb\nLABEL from=file\nRUN true\n' });
    const r = build(d, dir, [
      '-q',
      '-t',
      'one:a',
      '-t',
      'two:b',
      '-f',
      join(dir, 'build/Custom.Dockerfile'),
      '--label',
      'extra=yes',
      '--label',
      'from=cli',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const id = r.stdout.trim();
    expect(inspect(d, 'one:a').Id).toBe(id);
    expect(inspect(d, 'two:b').Id).toBe(id);
    expect(inspect(d, 'one:a').Config.Labels).toEqual({ from: 'cli', extra: 'yes' });
  });

  it('--network none gives RUN only a loopback interface', () => {
    const out = buildOk(d, contextDir({ Dockerfile: 'FROM bb\nRUN ls /sys/class/net\n' }), [
      '--network',
      'none',
      '--no-cache',
    ]);
    expect(out).toMatch(/Running in [0-9a-f]{12}\nlo\n/);
  });

  it('a Dockerfile from stdin with a context directory (-f -)', () => {
    const dir = contextDir({ 'data.txt': 'stdin-built\n' });
    const r = d.docker(['build', '-t', 'fromstdin', '-f', '-', dir], {
      input: 'FROM bb\nCOPY data.txt /\n',
      timeout: 120_000,
    });
    expect(r.code).toBe(0);
    expect(d.ok(['run', '--rm', 'fromstdin', 'cat', '/data.txt'])).toBe('stdin-built');
    expect(builtId(r.stdout)).toHaveLength(12);
  });

  it('works without DOCKER_BUILDKIT=0 too (the CLI falls back to the classic builder without buildx)', () => {
    const saved = process.env.DOCKER_BUILDKIT;
    delete process.env.DOCKER_BUILDKIT;
    try {
      const r = build(d, contextDir({ Dockerfile: 'FROM bb\nRUN echo plain\n' }));
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('plain');
    } finally {
      process.env.DOCKER_BUILDKIT = saved;
    }
  });
});
