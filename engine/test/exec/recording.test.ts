import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { until } from './hijack.js';
import { PtySession } from './pty.js';

/** berthd --record-sessions: a plain `docker exec` on the host ends up as an asciicast v2 file. */

const d = new TestDaemon();
const dir = mkdtempSync('/tmp/bt-rec-');
let c = '';

beforeAll(async () => {
  await d.start(['--record-sessions', dir, '--record-input']);
  d.ok(['import', '--change', 'CMD ["/bin/sh"]', busyboxTar(), 'bb:latest']);
  c = d.ok(['run', '-d', '--name', 'rec-target', 'bb', 'sleep', '100000']);
});
afterAll(async () => {
  await d.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

type Event = [number, string, string];

function cast(match: (header: Record<string, unknown>) => boolean): {
  header: Record<string, unknown>;
  events: Event[];
} {
  for (const name of readdirSync(dir)) {
    const [first, ...rest] = readFileSync(join(dir, name), 'utf8').trim().split('\n');
    const header = JSON.parse(first ?? '{}') as Record<string, unknown>;
    if (match(header)) return { header, events: rest.map((l) => JSON.parse(l) as Event) };
  }
  throw new Error(`no matching recording among ${readdirSync(dir).join(', ')}`);
}

describe('session recording', { timeout: 180_000 }, () => {
  it('records an interactive docker exec -it: header, timed output, resizes, input, exit', async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config') };
    const t = new PtySession(`docker exec -it ${c} sh`, env, { rows: 30, cols: 100 });
    await t.expect(/\/ # /);
    t.write('echo recorded-$((40+2))\r');
    await t.expect(/recorded-42/);
    t.resize(40, 120);
    await t.expectSize(40, 120);
    t.write('exit 3\r');
    expect(await t.waitExit()).toBe(3);
    let rec: ReturnType<typeof cast> | undefined;
    await until(() => {
      try {
        rec = cast((h) => h.command === 'sh');
        return rec.events.some((e) => e[1] === 'm');
      } catch {
        return false;
      }
    });
    if (!rec) throw new Error('no recording');
    expect(rec.header).toMatchObject({ version: 2, width: 100, height: 30, command: 'sh', env: { TERM: 'xterm' } });
    expect(rec.header.timestamp).toBeGreaterThan(Date.now() / 1000 - 120);
    const output = rec.events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(output).toContain('recorded-42');
    expect(rec.events.filter((e) => e[1] === 'r').map((e) => e[2])).toContain('120x40');
    expect(
      rec.events
        .filter((e) => e[1] === 'i')
        .map((e) => e[2])
        .join(''),
    ).toContain('echo recorded');
    expect(rec.events.at(-1)?.slice(1)).toEqual(['m', 'exit 3']);
    // Times are seconds from the start, never going backwards.
    const times = rec.events.map((e) => e[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('records a non-TTY exec with terminal line endings', async () => {
    d.ok(['exec', c, 'sh', '-c', 'echo line1; echo line2']);
    let rec: ReturnType<typeof cast> | undefined;
    await until(() => {
      try {
        rec = cast((h) => h.command === 'sh -c echo line1; echo line2');
        return rec.events.some((e) => e[1] === 'm');
      } catch {
        return false;
      }
    });
    const output = rec?.events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(output).toBe('line1\r\nline2\r\n');
  });

  it('records container attach sessions', async () => {
    d.ok(['run', '--name', 'rec-run', 'bb', 'echo', 'attached output']);
    let rec: ReturnType<typeof cast> | undefined;
    await until(() => {
      try {
        rec = cast((h) => String(h.title).startsWith('attach rec-run'));
        return rec.events.length > 0;
      } catch {
        return false;
      }
    });
    expect(rec?.events.map((e) => e[2]).join('')).toContain('attached output');
  });
});
