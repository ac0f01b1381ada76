import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../support/berthd.js';
import { daemonWithBusybox, until } from './helpers.js';

// HEALTHCHECK through the docker CLI: status in inspect and ps, the result log, events.
process.env.DOCKER_BUILDKIT = '0'; // the classic builder (POST /build) for the image with a HEALTHCHECK
let d: TestDaemon;
const ctxDir = mkdtempSync('/tmp/bt-hc-');

beforeAll(async () => {
  d = await daemonWithBusybox();
});
afterAll(async () => {
  await d.cleanup();
  rmSync(ctxDir, { recursive: true, force: true });
});

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}
const health = (name: string) => JSON.parse(d.ok(['inspect', '-f', '{{json .State.Health}}', name])) as Health | null;
const statusOf = (name: string) => health(name)?.Status;

describe('healthchecks', () => {
  it('turns healthy, then unhealthy after `retries` failures, with events and the last five results', async () => {
    d.ok([
      'run',
      '-d',
      '--name',
      'hc',
      '--health-cmd',
      'cat /tmp/ok',
      '--health-interval',
      '300ms',
      '--health-retries',
      '2',
      'bb',
      'sh',
      '-c',
      'echo fine > /tmp/ok; sleep 600',
    ]);
    expect(['starting', 'healthy']).toContain(statusOf('hc'));
    await until('healthy', () => statusOf('hc') === 'healthy');
    expect(d.ok(['ps', '--filter', 'name=hc', '--format', '{{.Status}}'])).toMatch(/^Up .* \(healthy\)$/);
    expect(d.ok(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}'])).toBe('hc');
    const ok = health('hc');
    expect(ok?.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });

    d.ok(['exec', 'hc', 'rm', '/tmp/ok']);
    await until('unhealthy', () => statusOf('hc') === 'unhealthy');
    const bad = health('hc');
    expect(bad?.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(bad?.Log.at(-1)?.ExitCode).toBe(1);
    expect(bad?.Log.at(-1)?.Output).toContain("can't open '/tmp/ok'");
    await until('five results kept', () => (health('hc')?.Log.length ?? 0) >= 5);
    expect(health('hc')?.Log).toHaveLength(5);
    expect(d.ok(['ps', '--filter', 'name=hc', '--format', '{{.Status}}'])).toMatch(/\(unhealthy\)$/);

    const events = d
      .ok(['events', '--since', '5m', '--until', '0s', '--filter', 'container=hc', '--filter', 'event=health_status'])
      .split('\n')
      .map((l) => / (health_status: \w+) /.exec(l)?.[1]);
    expect(events).toEqual(['health_status: healthy', 'health_status: unhealthy']);

    d.ok(['stop', '-t', '0', 'hc']);
    expect(statusOf('hc')).toBe('unhealthy');
    d.ok(['rm', 'hc']);
  });

  it('a test running past its timeout fails with -1', async () => {
    d.ok([
      'run',
      '-d',
      '--name',
      'slow',
      '--health-cmd',
      'sleep 30',
      '--health-interval',
      '300ms',
      '--health-timeout',
      '500ms',
      '--health-retries',
      '1',
      'bb',
      'sleep',
      '600',
    ]);
    await until('unhealthy', () => statusOf('slow') === 'unhealthy');
    const first = health('slow')?.Log[0];
    expect(first).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (500ms)' });
    // Given up at the timeout, not after the 30 s the test would take.
    expect(Date.parse(first?.End ?? '') - Date.parse(first?.Start ?? '')).toBeLessThan(5000);
    d.ok(['rm', '-f', 'slow']);
  });

  it("runs the image's HEALTHCHECK; --no-healthcheck turns it off", async () => {
    writeFileSync(join(ctxDir, 'Dockerfile'), 'FROM bb\nHEALTHCHECK --interval=300ms CMD ["true"]\n');
    const built = d.docker(['build', '-q', '-t', 'bb-hc', ctxDir], { timeout: 120_000 });
    expect(built.code, built.stderr).toBe(0);
    d.ok(['run', '-d', '--name', 'img', 'bb-hc', 'sleep', '600']);
    await until('healthy', () => statusOf('img') === 'healthy');
    d.ok(['run', '-d', '--name', 'off', '--no-healthcheck', 'bb-hc', 'sleep', '600']);
    expect(health('off')).toBeNull();
    expect(d.ok(['ps', '--filter', 'name=off', '--format', '{{.Status}}'])).toMatch(/^Up [^(]*$/);
    d.ok(['rm', '-f', 'img', 'off']);
  });
});
