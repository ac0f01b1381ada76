import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PipeOutput } from './exec-output.js';
import { type ExecProcess, ExecStartError, startFailureExitCode } from './exec-types.js';
import { runtimeMessage } from './runc.js';

/**
 * Attached exec without a terminal, run by `runc exec` as berthd's own child (not under conmon).
 *
 * Why not conmon here, as Podman does: (1) latency — conmon double-forks and needs two pipe
 * handshakes and an attach-socket connection before the process starts; `docker exec C true`
 * pays all of it. (2) back-pressure — conmon's attach socket is SOCK_SEQPACKET, which Node reads
 * only through node-unix-socket, and that cannot stop reading; runc's stdio are plain pipes, so a
 * slow reader pauses the pipe and the process blocks on write, end to end. (3) throughput — 64 KiB
 * pipe reads instead of 8 KiB packets. Nothing is lost: runc forwards signals, exits with the
 * process's status, and copies stdin to the process until EOF. TTY and detached execs still go
 * through conmon (see exec-conmon.ts): a pty master needs SCM_RIGHTS, and a detached process must
 * outlive berthd with its exit code recorded.
 *
 * runc prints its own start errors on the same stderr as the process's. Until the process is
 * known to have started (runc writes --pid-file only then) stderr is held back, so a failed start
 * turns into an ExecStartError instead of output.
 */

export interface RuncExecLaunch {
  runtimePath: string;
  runtimeRoot: string;
  containerId: string;
  /** The exec's state directory (process.json is written there by the caller). */
  dir: string;
  stdin: boolean;
}

export async function runcExec(l: RuncExecLaunch): Promise<ExecProcess> {
  const pidFile = join(l.dir, 'pid');
  const processFile = join(l.dir, 'process.json');
  // The pid file is renamed into place: watching the directory tells the moment the process runs.
  let watcher: FSWatcher | undefined;
  const pidWritten = new Promise<void>((resolve) => {
    watcher = watch(l.dir, (_event, name) => {
      if (name === 'pid' && existsSync(pidFile)) resolve();
    });
    watcher.on('error', () => {});
  });
  const child = spawn(
    l.runtimePath,
    ['--root', l.runtimeRoot, 'exec', '--process', processFile, '--pid-file', pidFile, l.containerId],
    {
      stdio: [l.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group: a ^C meant for berthd's terminal is not the exec's.
      detached: true,
    },
  );
  const output = new PipeOutput([
    { stream: 'stdout', pipe: child.stdout as Readable },
    { stream: 'stderr', pipe: child.stderr as Readable },
  ]);
  output.hold('stderr');
  const exit = new Promise<{ code: number; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: 255, error }));
    child.once('exit', (code, signal) => resolve({ code: code ?? 128 + signalNumber(signal) }));
  });
  try {
    const first = await Promise.race([pidWritten.then(() => 'started' as const), exit]);
    if (first !== 'started' && !existsSync(pidFile)) {
      // 'exit' can come before the last of stderr has been read.
      if (child.stdout && !child.stdout.destroyed)
        await once(child, 'close', { signal: AbortSignal.timeout(1000) }).catch(() => {});
      const text = runtimeMessage(output.heldText()) || first.error?.message || `runc exec exited with ${first.code}`;
      throw new ExecStartError(text, startFailureExitCode(text));
    }
  } catch (err) {
    child.kill('SIGKILL');
    output.discard();
    throw err;
  } finally {
    watcher?.close();
  }
  output.release();
  const pid = await readPidFile(pidFile);
  return new RuncExecProcess(
    child,
    pid,
    output,
    exit.then((e) => e.code),
  );
}

class RuncExecProcess implements ExecProcess {
  readonly stdin: Writable | null;

  constructor(
    child: ChildProcess,
    readonly pid: number,
    readonly output: PipeOutput,
    readonly exited: Promise<number>,
  ) {
    this.stdin = child.stdin;
    // A process that exits without reading its stdin makes our writes fail with EPIPE.
    this.stdin?.on('error', () => {});
  }

  async resize(): Promise<void> {
    // No terminal, nothing to resize (dockerd ignores it too).
  }

  kill(signal: NodeJS.Signals): void {
    // The process itself, not runc: runc would forward most signals, but SIGKILL would only
    // kill runc and leave the process running without its stdio.
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  hangup(): void {
    this.stdin?.end();
    // As when the reader of a pipe goes away: runc's copy fails and the process gets SIGPIPE on
    // its next write, instead of writing into nothing (or blocking) for ever.
    this.output.close();
  }

  detach(): void {
    this.output.discard();
  }
}

async function readPidFile(file: string): Promise<number> {
  const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) || 127;
}
