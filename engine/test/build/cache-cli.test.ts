import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { buildOk, builtId, contextDir, inspect, removeContextDirs } from './helpers.js';

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

interface StepResult {
  step: string;
  cached: boolean;
  ran: boolean;
  id: string;
}

/** Each `Step n/m` block of the output: did it hit the cache, did it run a container, what id. */
function steps(stdout: string): StepResult[] {
  return stdout
    .split(/^(?=Step \d+\/\d+ : )/m)
    .filter((b) => b.startsWith('Step '))
    .map((b) => ({
      step: b.split('\n')[0] ?? '',
      cached: b.includes(' ---> Using cache'),
      ran: b.includes(' ---> Running in '),
      id: [...b.matchAll(/ ---> ([0-9a-f]{12})\n/g)].pop()?.[1] ?? '',
    }));
}

const TEN_STEPS = [
  'FROM bb',
  'ARG VERSION=1',
  'ENV APP=/app',
  'WORKDIR $APP',
  'COPY config.txt ./',
  'RUN cat config.txt > derived.txt',
  'COPY src/ ./src/',
  'RUN ls src > listing.txt',
  'LABEL version=$VERSION',
  'CMD ["cat", "derived.txt"]',
].join('\n');

describe('step cache', () => {
  const dir = contextDir({
    Dockerfile: TEN_STEPS,
    'config.txt': 'one\n',
    'src/a.c': 'int a;\n',
    'src/b.c': 'int b;\n',
  });
  let first: StepResult[];
  let firstId: string;

  it('a rebuild with nothing changed runs no container and keeps every image and timestamp', () => {
    const out1 = buildOk(d, dir, ['-t', 'cached']);
    first = steps(out1);
    firstId = builtId(out1);
    expect(first.filter((s) => s.cached)).toHaveLength(0);
    const created = inspect(d, 'cached').Created;

    const out2 = buildOk(d, dir, ['-t', 'cached']);
    const second = steps(out2);
    expect(second).toHaveLength(10);
    expect(second.slice(1).every((s) => s.cached && !s.ran)).toBe(true);
    expect(second.map((s) => s.id)).toEqual(first.map((s) => s.id));
    expect(builtId(out2)).toBe(firstId);
    expect(inspect(d, 'cached').Created).toBe(created);
    expect(d.ok(['run', '--rm', 'cached'])).toBe('one');
  });

  it('changing one copied file reruns from that step on', () => {
    writeFileSync(join(dir, 'config.txt'), 'two\n');
    const s = steps(buildOk(d, dir, ['-t', 'cached']));
    expect(s.map((x) => x.cached)).toEqual([false, true, true, true, false, false, false, false, false, false]);
    expect(s.slice(0, 4).map((x) => x.id)).toEqual(first.slice(0, 4).map((x) => x.id));
    expect(s[4]?.id).not.toBe(first[4]?.id);
    expect(s[5]?.ran).toBe(true);
    expect(d.ok(['run', '--rm', 'cached'])).toBe('two');
    // the previous content is still cached: going back hits again
    writeFileSync(join(dir, 'config.txt'), 'one\n');
    const back = steps(buildOk(d, dir, ['-t', 'cached']));
    expect(back.slice(1).every((x) => x.cached)).toBe(true);
    expect(back[9]?.id).toBe(first[9]?.id);
  });

  it('a changed file inside a copied directory, and a changed build arg, miss from their steps', () => {
    writeFileSync(join(dir, 'src/b.c'), 'int b2;\n');
    const s = steps(buildOk(d, dir));
    expect(s.map((x) => x.cached)).toEqual([false, true, true, true, true, true, false, false, false, false]);
    const arg = steps(buildOk(d, dir, ['--build-arg', 'VERSION=2']));
    // the declared ARG's value is part of every later RUN's key (as in Docker): the first RUN after it misses
    expect(arg.map((x) => x.cached)).toEqual([false, true, true, true, true, false, false, false, false, false]);
    writeFileSync(join(dir, 'src/b.c'), 'int b;\n');
  });

  it('--no-cache builds every step again', () => {
    const s = steps(buildOk(d, dir, ['--no-cache']));
    expect(s.some((x) => x.cached)).toBe(false);
    expect(s[9]?.id).not.toBe(first[9]?.id);
  });

  it('the cache index survives a daemon restart, and a removed image is a miss, not an error', async () => {
    await d.kill('SIGKILL');
    // what a build killed mid-way would leave: a scratch context and a mount point
    mkdirSync(join(d.root, 'data', 'build', 'tmp', 'stale'), { recursive: true });
    mkdirSync(join(d.root, 'data', 'build', 'mnt', 'build-stale'), { recursive: true });
    await d.start();
    const s = steps(buildOk(d, dir, ['-t', 'cached']));
    expect(existsSync(join(d.root, 'data', 'build', 'tmp', 'stale'))).toBe(false);
    expect(existsSync(join(d.root, 'data', 'build', 'mnt', 'build-stale'))).toBe(false);
    expect(s.slice(1).every((x) => x.cached)).toBe(true);
    const other = contextDir({ Dockerfile: 'FROM bb\nRUN echo gone > /f\n' });
    const id = builtId(buildOk(d, other, ['-t', 'gone']));
    d.ok(['rmi', 'gone']);
    expect(d.docker(['image', 'inspect', id]).code).not.toBe(0);
    const again = steps(buildOk(d, other));
    expect(again[1]?.cached).toBe(false);
    expect(again[1]?.ran).toBe(true);
  });
});

describe('.dockerignore', () => {
  const files = {
    Dockerfile: 'FROM bb\nCOPY . /ctx/\nRUN cd /ctx && find . | sort\n',
    '.dockerignore': '# build junk\n**/*.log\n!keep.log\nsecret/\n!secret/public.txt\nDockerfile\n.dockerignore\n',
    'app.txt': 'app',
    'a.log': 'x',
    'keep.log': 'k',
    'sub/deep.log': 'x',
    'sub/ok.txt': 'ok',
    'secret/key': 'k',
    'secret/public.txt': 'p',
  };
  const expected = ['.', './app.txt', './keep.log', './secret', './secret/public.txt', './sub', './sub/ok.txt'];

  function listing(stdout: string): string[] {
    return stdout
      .split('\n')
      .filter((l) => l === '.' || l.startsWith('./'))
      .sort();
  }

  it('excludes files with Go patterns and ! exceptions (the CLI filters, the daemon agrees)', () => {
    expect(listing(buildOk(d, contextDir(files)))).toEqual(expected);
  });

  it('is applied by the daemon to a raw context tar sent over the API', async () => {
    const dir = contextDir(files);
    const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
    const res = await d.api('POST', '/build?nocache=1', tar, { 'Content-Type': 'application/x-tar' });
    expect(res.status).toBe(200);
    const text = res.body
      .split('\r\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { stream?: string }).stream ?? '')
      .join('');
    expect(listing(text)).toEqual(expected);
  });
});

describe('large contexts', () => {
  it('copies a context of 10,000 small files, and hits the cache on the rebuild', () => {
    const dir = contextDir({ Dockerfile: 'FROM bb\nCOPY . /ctx/\nRUN find /ctx -type f | wc -l\n' });
    for (let i = 0; i < 100; i++) {
      const sub = join(dir, `d${i}`);
      mkdirSync(sub);
      for (let j = 0; j < 100; j++) writeFileSync(join(sub, `f${j}.txt`), `${i}/${j}\n`);
    }
    expect(readdirSync(dir)).toHaveLength(101);
    const out = buildOk(d, dir, ['-t', 'large']);
    expect(out).toMatch(/\n10001\n/);
    expect(d.ok(['run', '--rm', 'large', 'cat', '/ctx/d42/f7.txt'])).toBe('42/7');
    const s = steps(buildOk(d, dir, ['-t', 'large']));
    expect(s.slice(1).every((x) => x.cached)).toBe(true);
  }, 300_000);
});
