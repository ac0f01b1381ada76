import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

const d = new TestDaemon();

beforeAll(async () => {
  await d.start();
  d.ok(['import', '-c', 'CMD ["/bin/sh"]', busyboxTar(), 'bb']);
});
afterAll(() => d.cleanup());

describe('system endpoints', () => {
  it('negotiates the API version and reports info and disk usage', async () => {
    const ping = await d.api('GET', '/_ping');
    expect(ping.body).toBe('OK');
    expect(ping.headers['api-version']).toBe('1.43');
    expect(d.ok(['version', '--format', '{{.Server.APIVersion}}'])).toBe('1.43');
    expect(d.ok(['info', '--format', '{{.Driver}} {{.CgroupDriver}} {{.Images}}'])).toBe('overlay2 cgroupfs 1');
    expect(d.ok(['system', 'df', '--format', '{{.Type}}'])).toContain('Images');
    expect((await d.api('GET', '/v1.41/containers/json')).status).toBe(200);
  });

  it('streams events with filters, and replays them with --since/--until', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const events = spawn(
      'docker',
      [
        'events',
        '--filter',
        'type=container',
        '--filter',
        'event=start',
        '--format',
        '{{.Actor.Attributes.name}} {{.Action}}',
      ],
      {
        env: { ...process.env, DOCKER_HOST: d.host },
      },
    );
    let out = '';
    events.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await new Promise((r) => setTimeout(r, 500));
    d.ok(['run', '--rm', '--name', 'evented', 'bb', 'true']);
    const deadline = Date.now() + 10_000;
    while (!out.includes('evented start') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    events.kill();
    expect(out).toBe('evented start\n');
    const until = Math.floor(Date.now() / 1000) + 1;
    const replay = d.ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'container=evented',
      '--format',
      '{{.Action}}',
    ]);
    expect(replay).toMatch(/create[\s\S]*start[\s\S]*die[\s\S]*destroy/);
  });
});

describe('dockerode works unchanged', () => {
  it('creates, starts, attaches, waits and removes', async () => {
    const docker = new Docker({ socketPath: d.socket });
    const images = await docker.listImages();
    expect(images.some((i) => i.RepoTags?.includes('bb:latest'))).toBe(true);
    const c = await docker.createContainer({
      Image: 'bb',
      Cmd: ['sh', '-c', 'echo from-dockerode'],
      Labels: { via: 'dockerode' },
    });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise((r) => stream.on('end', r));
    // Registered before start: "not-running" would answer at once for a created container, as dockerd does.
    const wait = c.wait({ condition: 'next-exit' });
    await c.start();
    expect((await wait).StatusCode).toBe(0);
    await ended;
    // Multiplexed: an 8-byte header (stream 1 = stdout) then the payload.
    const all = Buffer.concat(chunks);
    expect(all[0]).toBe(1);
    expect(all.subarray(8).toString()).toBe('from-dockerode\n');
    const listed = await docker.listContainers({ all: true, filters: { label: ['via=dockerode'] } });
    expect(listed.map((x) => x.Id)).toEqual([c.id]);
    await c.remove();
  });
});
