import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChangeLines } from '../../src/build/commit.js';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { history, inspect } from './helpers.js';

describe('applyChangeLines (docker commit --change)', () => {
  it('applies the allowed instructions with ENV expansion and refuses the others', () => {
    const cfg = applyChangeLines({ Env: ['PATH=/bin'], Cmd: ['sh'] }, [
      'ENV PATH=/opt:$PATH',
      'CMD ["run"]',
      'EXPOSE 8080',
      'WORKDIR /w',
      'LABEL a=b',
      'USER app',
    ]);
    expect(cfg).toMatchObject({
      Env: ['PATH=/opt:/bin'],
      Cmd: ['run'],
      ExposedPorts: { '8080/tcp': {} },
      WorkingDir: '/w',
      Labels: { a: 'b' },
      User: 'app',
    });
    expect(() => applyChangeLines({}, ['RUN echo no'])).toThrow('run is not a valid change command');
    expect(() => applyChangeLines({}, ['COPY a b'])).toThrow('copy is not a valid change command');
  });
});

describe('docker commit', () => {
  const d = new TestDaemon();
  beforeAll(async () => {
    await d.start();
    d.ok(['import', '-c', 'CMD ["/bin/sh"]', busyboxTar(), 'bb']);
  });
  afterAll(() => d.cleanup());

  it('turns a container’s changes into an image layer, with author, message and changes', () => {
    d.ok(['run', '--name', 'src', '-e', 'KEPT=1', 'bb', 'sh', '-c', 'echo committed > /file && rm /etc/group']);
    const id = d.ok([
      'commit',
      '-a',
      'Ann <ann@example.com>',
      '-m',
      'my message',
      '-c',
      'ENV ADDED=$KEPT',
      '-c',
      'CMD ["cat", "/file"]',
      'src',
      'committed:v1',
    ]);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.ok(['run', '--rm', 'committed:v1'])).toBe('committed');
    expect(d.docker(['run', '--rm', 'committed:v1', 'ls', '/etc/group']).code).not.toBe(0); // the deletion is a whiteout
    const img = inspect(d, 'committed:v1');
    expect(img.Author).toBe('Ann <ann@example.com>');
    expect(img.Comment).toBe('my message');
    expect(img.Config.Env).toEqual(expect.arrayContaining(['KEPT=1', 'ADDED=1']));
    expect(img.Config.Cmd).toEqual(['cat', '/file']);
    expect(img.RootFS.Layers).toHaveLength(inspect(d, 'bb').RootFS.Layers.length + 1);
    const top = history(d, 'committed:v1')[0];
    expect(top?.createdBy).toBe('sh -c echo committed > /file && rm /etc/group');
    d.ok(['rm', 'src']);
  });

  it('commits a running container, pausing it meanwhile (and leaves it running)', () => {
    const cid = d.ok(['run', '-d', 'bb', 'sh', '-c', 'echo live > /live; sleep 300']);
    for (let i = 0; i < 50 && d.docker(['exec', cid, 'test', '-e', '/live']).code !== 0; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    d.ok(['commit', cid, 'live:1']);
    expect(d.ok(['inspect', '-f', '{{.State.Running}} {{.State.Paused}}', cid])).toBe('true false');
    expect(d.ok(['run', '--rm', 'live:1', 'cat', '/live'])).toBe('live');
    d.ok(['commit', '--pause=false', cid, 'live:2']);
    d.ok(['rm', '-f', cid]);
  });

  it('refuses an invalid change', () => {
    d.ok(['create', '--name', 'c2', 'bb']);
    const r = d.docker(['commit', '-c', 'RUN true', 'c2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('run is not a valid change command');
    d.ok(['rm', 'c2']);
  });
});
