import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { hijack, until } from './hijack.js';
import { PtySession } from './pty.js';

/** Interactive sessions from a real terminal: docker exec -it, run -it, start -ai, attach. */

const d = new TestDaemon();
let c = '';
const sessions: PtySession[] = [];

function terminal(args: string, size?: { rows: number; cols: number }): PtySession {
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config'), TERM: 'xterm' };
  const s = new PtySession(`docker ${args}`, env, size);
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  await d.start();
  d.ok(['import', '--change', 'CMD ["/bin/sh"]', busyboxTar(), 'bb:latest']);
  c = d.ok(['run', '-d', '--name', 'tty-target', 'bb', 'sleep', '100000']);
});
afterAll(async () => {
  for (const s of sessions) s.kill();
  await d.cleanup();
});

describe('docker exec -it', { timeout: 180_000 }, () => {
  it('runs an interactive shell: commands, terminal size, resize, exit code', async () => {
    const t = terminal(`exec -it ${c} sh`);
    await t.expect(/\/ # /);
    t.write('echo $((6*7)) $TERM\r');
    await t.expect(/42 xterm/);
    const mark = t.output.length;
    t.write('stty size\r');
    await t.expect(/30 100/, { from: mark });
    t.resize(40, 120);
    // The CLI got SIGWINCH and resized the exec; the shell sees the new size.
    await t.expectSize(40, 120);
    t.write('exit 3\r');
    expect(await t.waitExit()).toBe(3);
  });

  it('detaches on ctrl-p ctrl-q (the CLI detaches itself and hangs up)', async () => {
    const t = terminal(`exec -it ${c} sh -c 'echo started; exec sleep 1234'`);
    await t.expect(/started/);
    t.write('\x10\x11');
    // The docker CLI swallows the keys and closes the connection: to berthd the client is gone.
    await t.waitExit();
    await until(() => !/sleep 1234/.test(d.ok(['exec', c, 'ps'])));
  });

  it('detaches server-side when the keys reach berthd, leaving the exec running', async () => {
    const { Id } = JSON.parse(
      (
        await d.api(
          'POST',
          `/containers/${c}/exec`,
          JSON.stringify({ Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true }),
        )
      ).body,
    ) as { Id: string };
    const conn = await hijack(d.socket, `/exec/${Id}/start`, JSON.stringify({ Tty: true }));
    conn.write('echo attached\r');
    await until(() => conn.output().includes('attached'));
    conn.write('\x10\x11');
    await conn.ended;
    const state = JSON.parse((await d.api('GET', `/exec/${Id}/json`)).body) as { Running: boolean; Pid: number };
    expect(state.Running).toBe(true);
    process.kill(state.Pid, 'SIGKILL');
  });

  it('honours --detach-keys', async () => {
    const t = terminal(`exec -it --detach-keys ctrl-a,x ${c} sh`);
    await t.expect(/\/ # /);
    // ctrl-p ctrl-q is not the sequence now: it reaches the shell.
    t.write('\x10\x11echo still here\r');
    await t.expect(/still here/);
    t.write('\x01x');
    await t.waitExit();
  });

  it('hangs up the shell when the client goes away', async () => {
    const t = terminal(
      `exec -it ${c} sh -c 'trap "echo hup > /tmp/hup; exit 9" HUP; echo armed; while true; do sleep 0.1; done'`,
    );
    await t.expect(/armed/);
    t.kill();
    await until(() => d.docker(['exec', c, 'cat', '/tmp/hup']).stdout.trim() === 'hup', 45_000);
  });
});

describe('container TTY sessions', { timeout: 180_000 }, () => {
  it('docker run -it: interactive shell, resize, exit code', async () => {
    const t = terminal('run -it --rm --name runit bb sh');
    await t.expect(/\/ # /);
    const mark = t.output.length;
    t.write('stty size\r');
    await t.expect(/30 100/, { from: mark });
    t.resize(50, 132);
    await t.expectSize(50, 132);
    t.write('exit 4\r');
    expect(await t.waitExit()).toBe(4);
  });

  it('docker start -ai and docker attach with detach keys', async () => {
    const id = d.ok(['create', '-it', '--name', 'startai', 'bb', 'sh']);
    const t = terminal('start -ai startai');
    await t.expect(/\/ # /);
    t.write('echo first session\r');
    await t.expect(/first session/);
    t.write('\x10\x11');
    await t.waitExit();
    expect((JSON.parse(d.ok(['inspect', id])) as { State: { Running: boolean } }[])[0]?.State.Running).toBe(true);

    const a = terminal('attach --detach-keys ctrl-x,y startai');
    // Attached once the CLI's resize has made the shell redraw its prompt.
    await a.expect(/# /);
    a.write('echo second session\r');
    await a.expect(/second session/);
    a.write('\x18y');
    await a.waitExit();
    expect((JSON.parse(d.ok(['inspect', id])) as { State: { Running: boolean } }[])[0]?.State.Running).toBe(true);

    const b = terminal('attach startai');
    await b.expect(/# /);
    b.write('exit 6\r');
    expect(await b.waitExit()).toBe(6);
    d.ok(['rm', id]);
  });

  it('docker logs of a TTY container shows the terminal output', async () => {
    d.ok(['run', '-t', '--name', 'ttylogs', 'bb', 'sh', '-c', 'printf "a\\nb\\n"']);
    expect(d.ok(['logs', 'ttylogs'])).toBe('a\r\nb');
    d.ok(['rm', 'ttylogs']);
  });
});
