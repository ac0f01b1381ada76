import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { openAttach } from './attach.js';
import { parseSyncMessage, readPid } from './conmon.js';
import { type ExecProcess, ExecStartError, startFailureExitCode } from './exec-types.js';
import { runtimeMessage } from './runc.js';
import { ConmonThrottle } from './throttle.js';
import type { AttachStream } from './types.js';

/**
 * An exec under conmon, as Podman runs one (libpod/oci_conmon_exec_linux.go): `conmon --exec
 * --exec-process-spec <file> --exec-attach`, used for TTY execs (conmon receives the pty master
 * from runc over --console-socket, which Node cannot: no SCM_RIGHTS) and for detached ones (conmon
 * double-forks, so the process and its exit code outlive berthd).
 *
 * The handshake over three extra fds (conmon.c): conmon reads a first byte from _OCI_STARTPIPE
 * (Podman moves it into a cgroup meanwhile), creates the attach socket and says so on
 * _OCI_ATTACHPIPE (`{"data": 0}`), then waits for a second byte on _OCI_STARTPIPE before running
 * `runtime exec`, so an attached client misses no output. _OCI_SYNCPIPE then carries the
 * process's pid (`{"data": <pid>}`, or a negative value and the runtime's error), and at exit
 * its exit code (`{"data": <code>}`).
 */

export interface ConmonExecLaunch {
  conmonPath: string;
  runtimePath: string;
  runtimeRoot: string;
  containerId: string;
  execId: string;
  /** The exec's state directory: process.json, pid, attach socket, ctl FIFO, exits/. */
  dir: string;
  terminal: boolean;
  stdin: boolean;
  detach: boolean;
}

export function conmonExecArgs(l: ConmonExecLaunch): string[] {
  const args = [
    '--api-version',
    '1',
    '-c',
    l.containerId,
    '-u',
    l.execId,
    '-n',
    l.containerId,
    '-r',
    l.runtimePath,
    '-b',
    l.dir,
    '-p',
    join(l.dir, 'pid'),
    '--conmon-pidfile',
    join(l.dir, 'conmon.pid'),
    '--exit-dir',
    join(l.dir, 'exits'),
    '--socket-dir-path',
    l.dir,
    '--full-attach',
    // Exec output is not the container's log; berthd streams (and records) it itself.
    '-l',
    'none',
    '--runtime-arg',
    `--root=${l.runtimeRoot}`,
    '-e',
    '--exec-attach',
    '--exec-process-spec',
    join(l.dir, 'process.json'),
  ]; // prettier-ignore
  if (l.terminal) args.push('-t');
  if (l.stdin) args.push('-i');
  return args;
}

export async function conmonExec(l: ConmonExecLaunch): Promise<ExecProcess> {
  const child = spawn(l.conmonPath, conmonExecArgs(l), {
    cwd: l.dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      _OCI_SYNCPIPE: '3',
      _OCI_STARTPIPE: '4',
      _OCI_ATTACHPIPE: '5',
    },
  });
  child.unref();
  const syncPipe = lines(child.stdio[3] as Readable);
  const startPipe = child.stdio[4] as Writable;
  const attachPipe = lines((child.stdio as unknown as Readable[])[5] as Readable);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 16_384) stderr += d;
  });
  startPipe.on('error', () => {});
  const failed = (what: string) => new ExecStartError(`conmon ${what}: ${stderr.trim() || 'no output'}`, 126);

  let attach: AttachStream | undefined;
  const throttle = new ConmonThrottle();
  try {
    startPipe.write('0');
    if ((await attachPipe.next()) === undefined) throw failed('exited before creating the attach socket');
    if (!l.detach) attach = await openAttach(join(l.dir, 'attach'), { stdin: l.stdin, tty: l.terminal, throttle });
    startPipe.end('1');
    const started = await syncPipe.next();
    if (started === undefined) throw failed('exited before starting the exec');
    const msg = parseSyncMessage(started);
    if (msg.data <= 0) {
      const text = runtimeMessage(msg.message ?? '') || msg.message || 'unknown error';
      throw new ExecStartError(text, startFailureExitCode(text));
    }
    const conmonPid = await readPid(join(l.dir, 'conmon.pid'));
    if (conmonPid !== undefined) throttle.setPid(conmonPid);
    const exited = syncPipe.next().then((line) => (line === undefined ? exitFromFile(l) : exitCodeOf(line)));
    return new ConmonExecProcess(l, msg.data, attach, exited);
  } catch (err) {
    attach?.close();
    startPipe.destroy();
    throw err;
  }
}

class ConmonExecProcess implements ExecProcess {
  readonly output: Readable | null;
  readonly stdin: Writable | null;
  private hungUp = false;

  constructor(
    private readonly l: ConmonExecLaunch,
    readonly pid: number,
    private readonly attach: AttachStream | undefined,
    readonly exited: Promise<number>,
  ) {
    this.output = attach?.output ?? null;
    this.stdin = attach?.stdin ?? null;
    this.stdin?.on('error', () => {});
  }

  /**
   * conmon's control FIFO: `1 <height> <width>` resizes the pty (the process gets SIGWINCH).
   * Writes are spaced out and coalesced to the latest size: conmon 2.1 applies only the first of
   * several messages that arrive in one read, and a dragged window sends bursts of them.
   */
  resize(size: { height: number; width: number }): Promise<void> {
    if (!this.l.terminal) return Promise.resolve();
    this.wantedSize = size;
    this.resizing ??= this.writeSizes().finally(() => {
      this.resizing = undefined;
    });
    return this.resizing;
  }

  private wantedSize: { height: number; width: number } | undefined;
  private resizing: Promise<void> | undefined;

  private async writeSizes(): Promise<void> {
    for (let size = this.wantedSize; size; size = this.wantedSize) {
      this.wantedSize = undefined;
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        // Non-blocking: opening a FIFO nobody reads (conmon gone) would block.
        fh = await open(join(this.l.dir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        return; // exited meanwhile
      }
      try {
        await fh.write(`1 ${Math.trunc(size.height)} ${Math.trunc(size.width)}\n`);
      } finally {
        await fh.close();
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  kill(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    // What a terminal hangup does; conmon keeps draining the pty, so nothing blocks afterwards.
    if (this.l.terminal) this.kill('SIGHUP');
    this.attach?.close();
    this.output?.resume();
  }

  detach(): void {
    // conmon keeps reading the process's output with nobody attached, so it never blocks.
    this.hungUp = true;
    this.attach?.close();
    this.output?.resume();
  }
}

function exitCodeOf(line: string): number {
  const { data } = parseSyncMessage(line);
  return data >= 0 ? data : 255;
}

/** conmon went away without a second sync message: its exit file, if it wrote one. */
async function exitFromFile(l: ConmonExecLaunch): Promise<number> {
  const text = await readFile(join(l.dir, 'exits', l.execId), 'utf8').catch(() => '');
  const code = Number.parseInt(text.trim(), 10);
  return Number.isInteger(code) && code >= 0 ? code : 255;
}

/** Newline-separated messages from a pipe, one per next(); undefined once it has closed. */
function lines(stream: Readable): { next(): Promise<string | undefined> } {
  const queue: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  let buf = '';
  let ended = false;
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  const end = () => {
    if (ended) return;
    ended = true;
    for (const w of waiters.splice(0)) w(buf.trim() || undefined);
    buf = '';
  };
  stream.on('end', end).on('close', end).on('error', end);
  return {
    next() {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
