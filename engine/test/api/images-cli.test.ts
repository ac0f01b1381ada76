import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

const d = new TestDaemon();
let work: string;

beforeAll(async () => {
  work = mkdtempSync('/tmp/bt-img-');
  await d.start();
});
afterAll(async () => {
  await d.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('images through the docker CLI', () => {
  it('imports a rootfs tar with --change and runs it', () => {
    const id = d.ok([
      'import',
      '-c',
      'ENV GREETING=hello',
      '-c',
      'WORKDIR /tmp',
      '-c',
      'CMD ["sh","-c","echo $GREETING from $(pwd)"]',
      busyboxTar(),
      'demo:1',
    ]);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.ok(['run', '--rm', 'demo:1'])).toBe('hello from /tmp');
    expect(d.ok(['image', 'inspect', '-f', '{{.Config.WorkingDir}} {{.Os}} {{.Architecture}}', 'demo:1'])).toBe(
      '/tmp linux amd64',
    );
  });

  it('tags, lists with filters and digests, and removes', () => {
    d.ok(['tag', 'demo:1', 'example.com/team/demo:2']);
    const list = d.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(list.split('\n').sort()).toEqual(expect.arrayContaining(['demo:1', 'example.com/team/demo:2']));
    expect(d.ok(['images', '--filter', 'reference=demo', '--format', '{{.Repository}}:{{.Tag}}'])).toBe('demo:1');
    expect(d.docker(['images', '--digests']).code).toBe(0);
    expect(d.ok(['rmi', 'example.com/team/demo:2'])).toMatch(/Untagged: example.com\/team\/demo:2/);
  });

  it('refuses to remove an image a container uses, unless forced', () => {
    d.ok(['create', '--name', 'user', 'demo:1']);
    const r = d.docker(['rmi', 'demo:1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/container .* is using its referenced image|must force/);
    d.ok(['rm', 'user']);
  });

  it('saves and loads an image (docker-archive and OCI layout in one tar)', () => {
    const tar = join(work, 'demo.tar');
    d.ok(['save', '-o', tar, 'demo:1']);
    const entries = execFileSync('tar', ['tf', tar]).toString();
    expect(entries).toMatch(/manifest\.json/);
    expect(entries).toMatch(/index\.json/);
    d.ok(['rmi', 'demo:1']);
    expect(d.ok(['load', '-i', tar])).toMatch(/Loaded image: demo:1/);
    expect(d.ok(['run', '--rm', 'demo:1'])).toBe('hello from /tmp');
    expect(readFileSync(tar).length).toBeGreaterThan(100_000);
  });

  it('shows history and prunes dangling images', () => {
    expect(d.ok(['history', '--no-trunc', 'demo:1'])).toMatch(/Imported from -|import/i);
    d.ok(['import', busyboxTar()]);
    expect(d.ok(['images', '-f', 'dangling=true', '-q']).length).toBeGreaterThan(0);
    d.ok(['image', 'prune', '-f']);
    expect(d.ok(['images', '-f', 'dangling=true', '-q'])).toBe('');
  });

  it("answers a missing image with 404 in Docker's shape", async () => {
    const r = await d.api('GET', '/v1.43/images/nope:missing/json');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ message: 'No such image: nope:missing' });
  });
});
