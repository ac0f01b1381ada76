import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

const d = new TestDaemon();

beforeAll(async () => {
  await d.start();
  d.ok(['import', '--change', 'CMD ["/bin/sh"]', busyboxTar(), 'bb:latest']);
});
afterAll(() => d.cleanup());

describe('docker run', () => {
  it('prints output and removes the container with --rm', () => {
    expect(d.ok(['run', '--rm', 'bb', 'echo', 'hi'])).toBe('hi');
    expect(d.ok(['ps', '-aq'])).toBe('');
  });

  it('returns the exit code of the process', () => {
    const r = d.docker(['run', '--rm', 'bb', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('feeds stdin with -i', () => {
    expect(d.ok(['run', '--rm', '-i', 'bb', 'cat'], { input: 'x\ny\n' })).toBe('x\ny');
  });

  it('applies env, workdir, user, hostname and read-only', () => {
    const out = d.ok([
      'run',
      '--rm',
      '-e',
      'FOO=bar',
      '-w',
      '/made/here',
      '-u',
      'app',
      '--hostname',
      'h1',
      'bb',
      'sh',
      '-c',
      'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname) $PATH',
    ]);
    expect(out).toBe('bar /made/here 1000:1000 h1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const ro = d.docker([
      'run',
      '--rm',
      '--read-only',
      '--tmpfs',
      '/scratch',
      'bb',
      'sh',
      '-c',
      'touch /scratch/ok && touch /nope',
    ]);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
  });

  it('reports a missing command clearly', () => {
    const r = d.docker(['run', '--rm', 'bb', '/no/such/binary']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no such file|not found/i);
  });
});

describe('container lifecycle', () => {
  it('create, start -a, logs, inspect, rename, rm', () => {
    const id = d.ok(['create', '--name', 'life', '--label', 'tier=test', 'bb', 'sh', '-c', 'echo one; echo two >&2']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(d.ok(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}'])).toContain('life');
    d.ok(['start', '-a', 'life']);
    const logs = d.docker(['logs', 'life']);
    expect(logs.stdout).toBe('one\n');
    expect(logs.stderr).toBe('two\n');
    expect(d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Labels.tier}}', 'life'])).toBe(
      'exited 0 test',
    );
    d.ok(['rename', 'life', 'life2']);
    expect(d.ok(['ps', '-a', '--filter', 'label=tier=test', '--format', '{{.Names}}'])).toBe('life2');
    d.ok(['rm', 'life2']);
    expect(d.docker(['inspect', 'life2']).code).not.toBe(0);
  });

  it('stop, kill, restart, pause and unpause a running container', () => {
    d.ok(['run', '-d', '--name', 'svc', 'bb', 'sleep', '1000']);
    expect(d.ok(['ps', '--format', '{{.Names}} {{.Status}}'])).toMatch(/^svc Up/);
    d.ok(['pause', 'svc']);
    expect(d.ok(['inspect', '-f', '{{.State.Status}}', 'svc'])).toBe('paused');
    d.ok(['unpause', 'svc']);
    const started = Date.now();
    d.ok(['stop', '-t', '1', 'svc']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'svc'])).toBe('exited 137');
    d.ok(['restart', 'svc']);
    expect(d.ok(['inspect', '-f', '{{.State.Running}}', 'svc'])).toBe('true');
    // sleep is PID 1 of its namespace: signals it has no handler for are ignored, KILL is not.
    d.ok(['kill', 'svc']);
    expect(d.ok(['wait', 'svc'])).toBe('137');
    d.ok(['rm', 'svc']);
  });

  it('refuses to remove a running container without -f', () => {
    d.ok(['run', '-d', '--name', 'busy', 'bb', 'sleep', '1000']);
    const r = d.docker(['rm', 'busy']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/container is running/);
    d.ok(['rm', '-f', 'busy']);
  });

  it('top lists the container processes', () => {
    d.ok(['run', '-d', '--name', 'toppy', 'bb', 'sleep', '1000']);
    expect(d.ok(['top', 'toppy'])).toMatch(/sleep 1000/);
    d.ok(['rm', '-f', 'toppy']);
  });

  it('logs with --tail, -t and --since', () => {
    d.ok(['run', '--name', 'logger', 'bb', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done']);
    expect(d.ok(['logs', '--tail', '2', 'logger'])).toBe('line4\nline5');
    expect(d.ok(['logs', '-t', '--tail', '1', 'logger'])).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line5$/);
    expect(d.ok(['logs', '--since', '2099-01-01T00:00:00Z', 'logger'])).toBe('');
    d.ok(['rm', 'logger']);
  });

  it('follows logs until the container exits', () => {
    d.ok(['run', '-d', '--name', 'follow', 'bb', 'sh', '-c', 'echo a; sleep 1; echo b']);
    expect(d.ok(['logs', '-f', 'follow'])).toBe('a\nb');
    d.ok(['rm', 'follow']);
  });

  it('copies files in and out with docker cp', () => {
    d.ok(['create', '--name', 'cp', 'bb', 'cat', '/in/hello.txt']);
    const dir = `${d.root}/cp`;
    mkdirSync(`${dir}/in`, { recursive: true });
    writeFileSync(`${dir}/in/hello.txt`, 'hello from host\n');
    d.ok(['cp', `${dir}/in`, 'cp:/']);
    d.ok(['start', '-a', 'cp']);
    expect(d.ok(['logs', 'cp'])).toBe('hello from host');
    d.ok(['cp', 'cp:/etc/passwd', `${dir}/passwd`]);
    expect(readFileSync(`${dir}/passwd`, 'utf8')).toMatch(/^root:x:0:0/);
    d.ok(['rm', 'cp']);
  });

  it('container prune removes stopped containers', () => {
    d.ok(['create', '--name', 'stale', 'bb', 'true']);
    expect(d.ok(['container', 'prune', '-f'])).toMatch(/Total reclaimed space/);
    expect(d.docker(['inspect', 'stale']).code).not.toBe(0);
  });
});
