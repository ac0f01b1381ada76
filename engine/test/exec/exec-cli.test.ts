import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';
import { hijack, until } from './hijack.js';

/** `docker exec` through the stock docker CLI against a real berthd. */

const d = new TestDaemon();
let c = '';

beforeAll(async () => {
  await d.start();
  d.ok(['import', '--change', 'CMD ["/bin/sh"]', busyboxTar(), 'bb:latest']);
  c = d.ok(['run', '-d', '--name', 'exec-target', '-e', 'FROM_RUN=1', 'bb', 'sleep', '100000']);
});
afterAll(() => d.cleanup());

describe('docker exec', () => {
  it('runs a command and returns its output and exit code', () => {
    const r = d.docker(['exec', c, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(d.docker(['exec', c, 'true']).code).toBe(0);
  });

  it('feeds stdin with -i and delivers EOF', () => {
    expect(d.ok(['exec', '-i', c, 'cat'], { input: 'x\n' })).toBe('x');
    // wc only prints once it has seen EOF.
    expect(d.ok(['exec', '-i', c, 'wc', '-c'], { input: 'hello' })).toBe('5');
  });

  it('applies -e, -w and -u and inherits the container environment', () => {
    const out = d.ok([
      'exec',
      '-e',
      'FOO=bar',
      '-w',
      '/tmp',
      '-u',
      '1000:50',
      c,
      'sh',
      '-c',
      'echo $FOO $FROM_RUN $(pwd) $(id -u):$(id -g) $HOSTNAME',
    ]);
    expect(out).toBe(`bar 1 /tmp 1000:50 ${c.slice(0, 12)}`);
    expect(d.ok(['exec', '-u', 'nobody', c, 'id', '-un'])).toBe('nobody');
    // Without -t there is no TERM; with -t there is.
    expect(d.ok(['exec', c, 'sh', '-c', 'echo "[$TERM]"'])).toBe('[]');
  });

  it('gives --privileged every capability', () => {
    const capEff = (args: string[]) =>
      /CapEff:\s*([0-9a-f]+)/.exec(d.ok(['exec', ...args, c, 'cat', '/proc/self/status']))?.[1] ?? '';
    const plain = BigInt(`0x${capEff([])}`);
    const privileged = BigInt(`0x${capEff(['--privileged'])}`);
    expect(privileged > plain).toBe(true);
    expect(privileged & plain).toBe(plain);
  });

  it('reports a command that cannot start as dockerd does', () => {
    const r = d.docker(['exec', c, 'no-such-command']);
    expect(r.code).toBe(127);
    expect(r.stdout + r.stderr).toMatch(/OCI runtime exec failed: .*no-such-command.*executable file not found/);
    expect(d.docker(['exec', c, '/etc/passwd']).code).toBe(126);
  });

  it('runs detached with -d and shows the exec in inspect meanwhile', async () => {
    // It runs until told to finish, however slowly the machine runs the CLI meanwhile.
    d.ok(['exec', '-d', c, 'sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; echo done > /tmp/detached']);
    const execIds = () => (JSON.parse(d.ok(['inspect', c])) as { ExecIDs: string[] | null }[])[0]?.ExecIDs;
    expect(execIds()?.length).toBe(1);
    d.ok(['exec', c, 'touch', '/tmp/go']);
    await until(() => execIds() === null);
    expect(d.ok(['exec', c, 'cat', '/tmp/detached'])).toBe('done');
  });

  it('delivers 100 MB of output complete and in order', () => {
    // seq's lines are all different, so a lost, repeated or reordered chunk changes the hash.
    const r = spawnSync('docker', ['exec', c, 'sh', '-c', 'seq 1 13000000'], {
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.root}/docker-config` },
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const expected = createHash('sha256');
    const lines: string[] = [];
    for (let i = 1; i <= 13_000_000; i++) {
      lines.push(String(i));
      if (lines.length === 100_000) {
        expected.update(`${lines.join('\n')}\n`);
        lines.length = 0;
      }
    }
    if (lines.length > 0) expected.update(`${lines.join('\n')}\n`);
    expect(r.stdout.length).toBeGreaterThan(100_000_000);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(expected.digest('hex'));
  }, 180_000);
});

describe('exec API', () => {
  it('creates, inspects and refuses a second start', async () => {
    const created = await d.api(
      'POST',
      `/containers/${c}/exec`,
      JSON.stringify({ Cmd: ['sh', '-c', 'exit 7'], AttachStdout: true, User: 'app', Privileged: false }),
    );
    expect(created.status).toBe(201);
    const { Id } = JSON.parse(created.body) as { Id: string };
    const before = JSON.parse((await d.api('GET', `/exec/${Id}/json`)).body) as Record<string, unknown>;
    expect(before).toMatchObject({
      ID: Id,
      Running: false,
      ExitCode: null,
      ContainerID: c,
      OpenStdout: true,
      OpenStdin: false,
      Pid: 0,
    });
    expect(before.ProcessConfig).toEqual({
      tty: false,
      entrypoint: 'sh',
      arguments: ['-c', 'exit 7'],
      privileged: false,
      user: 'app',
    });
    const start = await d.api('POST', `/exec/${Id}/start`, JSON.stringify({ Detach: false, Tty: false }));
    expect(start.status).toBe(200);
    const after = JSON.parse((await d.api('GET', `/exec/${Id}/json`)).body) as Record<string, unknown>;
    expect(after).toMatchObject({ Running: false, ExitCode: 7 });
    expect(after.Pid).toBeGreaterThan(0);
    expect((await d.api('POST', `/exec/${Id}/start`, '{}')).status).toBe(409);
    expect((await d.api('GET', '/exec/nope/json')).status).toBe(404);
    expect((await d.api('POST', `/containers/${c}/exec`, JSON.stringify({ Cmd: [] }))).status).toBe(400);
  });

  it('reads stdin when the start body arrives after the headers', async () => {
    // The body then is not in the upgrade head: the server reads it off the socket first, and
    // must not leave the socket paused for the session (a flaky `docker exec -it` lost all input).
    for (const tty of [false, true]) {
      const created = await d.api(
        'POST',
        `/containers/${c}/exec`,
        JSON.stringify({ Cmd: ['cat'], Tty: tty, AttachStdin: true, AttachStdout: true, AttachStderr: true }),
      );
      const { Id } = JSON.parse(created.body) as { Id: string };
      const conn = await hijack(d.socket, `/exec/${Id}/start`, JSON.stringify({ Tty: tty }), { bodyDelayMs: 100 });
      conn.write('late-body-input\n');
      await until(() => conn.output().includes('late-body-input'), 5000);
      conn.destroy();
    }
  });

  it('delivers the last byte of a TTY exec that ends while its client is not reading', async () => {
    // What the session still holds for a client that is behind when the process exits must go
    // out before the connection closes (`docker exec -t C cat big | wc -c` came up short). The
    // output is more than the socket buffers take, and far less than berthd holds before it
    // stops the process (runtime/throttle.ts), so the process ends while the client waits.
    const line = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY\n';
    const size = 320_000;
    const created = await d.api(
      'POST',
      `/containers/${c}/exec`,
      JSON.stringify({
        Cmd: ['sh', '-c', `yes ${line.trim()} | head -c ${size}`],
        Tty: true,
        AttachStdout: true,
        AttachStderr: true,
      }),
    );
    const { Id } = JSON.parse(created.body) as { Id: string };
    const conn = await hijack(d.socket, `/exec/${Id}/start`, JSON.stringify({ Tty: true }));
    conn.socket.pause();
    const running = async () =>
      (JSON.parse((await d.api('GET', `/exec/${Id}/json`)).body) as { Running: boolean }).Running;
    const deadline = Date.now() + 20_000;
    while ((await running()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const stillRunning = await running();
    conn.socket.resume();
    await conn.ended;
    expect(stillRunning).toBe(false);
    const expected = line
      .repeat(Math.ceil(size / line.length))
      .slice(0, size)
      .replaceAll('\n', '\r\n');
    expect(conn.bytes()).toBe(expected.length);
    expect(conn.output() === expected).toBe(true);
  }, 60_000);

  it('refuses exec in a stopped container', () => {
    const stopped = d.ok(['create', 'bb', 'true']);
    const r = d.docker(['exec', stopped, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is not running/);
    d.ok(['rm', stopped]);
  });
});
