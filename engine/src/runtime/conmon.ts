import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { EngineError } from '../errors.js';
import { runtimeMessage } from './runc.js';

/**
 * Launching conmon the way Podman does (libpod/oci_conmon_common.go): conmon double-forks, so the
 * container's monitor is not berthd's child and survives a berthd restart. Two extra fds carry
 * the handshake: conmon blocks on _OCI_STARTPIPE until we write to it, and reports the
 * container's pid (or the runtime's error) on _OCI_SYNCPIPE as one JSON line:
 * `{"data": <pid>}` or `{"data": -1, "message": "<runtime stderr>"}`.
 * Node's extra 'pipe' stdio entries are socketpairs; conmon only read()s and write()s them.
 */

export interface ConmonLaunch {
  conmonPath: string;
  runtimePath: string;
  /** The runtime's `--root`. */
  runtimeRoot: string;
  id: string;
  bundle: string;
  /** Per-task directory: conmon's cwd (its `oom` file lands here) and --persist-dir. */
  taskDir: string;
  containerPidFile: string;
  conmonPidFile: string;
  exitDir: string;
  socketDir: string;
  logPath: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep container stdin open when an attached client goes away (not docker's StdinOnce). */
  leaveStdinOpen: boolean;
  timeoutMs?: number;
}

export function conmonArgs(l: ConmonLaunch): string[] {
  // biome-ignore format: flag/value pairs read better side by side
  const args = [
    '--api-version', '1',
    '-c', l.id,
    '-u', l.id,
    '-n', l.id,
    '-r', l.runtimePath,
    '-b', l.bundle,
    '-p', l.containerPidFile,
    '--conmon-pidfile', l.conmonPidFile,
    '--exit-dir', l.exitDir,
    '--persist-dir', l.taskDir,
    '--socket-dir-path', l.socketDir,
    // The attach socket goes in the bundle, so its path is derived from the bundle alone.
    '--full-attach',
    '-l', `k8s-file:${l.logPath}`,
    // conmon would fsync the log at exit; docker does not, and it costs every `run --rm`.
    '--no-sync-log',
    '--runtime-arg', `--root=${l.runtimeRoot}`,
  ];
  if (l.terminal) args.push('-t');
  if (l.stdin) args.push('-i');
  if (l.stdin && l.leaveStdinOpen) args.push('--leave-stdin-open');
  return args;
}

/** Start conmon (which runs `runtime create`) and return the container's pid. */
export async function launchConmon(l: ConmonLaunch): Promise<number> {
  const child = spawn(l.conmonPath, conmonArgs(l), {
    cwd: l.taskDir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
  });
  const syncPipe = child.stdio[3] as Readable;
  const startPipe = child.stdio[4] as Writable;
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 16_384) stderr += d;
  });
  startPipe.on('error', () => {}); // conmon may be gone already; the sync pipe says why
  // Nothing to set up before conmon forks (Podman moves conmon into a cgroup here): release it.
  startPipe.end('0');

  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new EngineError('RUNTIME', `cannot run conmon at ${l.conmonPath}: ${err.message}`)),
    );
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  let timer: NodeJS.Timeout | undefined;
  try {
    await spawned;
    const line = await Promise.race([
      readLine(syncPipe),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new EngineError(
                'RUNTIME',
                `conmon did not report the container's pid within ${l.timeoutMs ?? 60_000} ms`,
              ),
            ),
          l.timeoutMs ?? 60_000,
        );
      }),
    ]);
    if (line === undefined) {
      const code = await exited;
      throw new EngineError(
        'RUNTIME',
        `conmon exited (${code}) before creating the container: ${stderr.trim() || 'no output'}`,
      );
    }
    const msg = parseSyncMessage(line);
    if (msg.data <= 0) {
      throw new EngineError(
        'RUNTIME',
        `OCI runtime create failed: ${runtimeMessage(msg.message ?? '') || msg.message || 'unknown error'}`,
      );
    }
    return msg.data;
  } catch (err) {
    await killConmon(l.conmonPidFile);
    throw err;
  } finally {
    clearTimeout(timer);
    syncPipe.destroy();
    // The first conmon process exits right after forking; do not let it hold the event loop.
    child.unref();
  }
}

/** Read one newline-terminated line; undefined if the stream ends first. */
function readLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        cleanup();
        resolve(buf.slice(0, nl));
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(buf.trim() ? buf : undefined);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onEnd);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  });
}

/**
 * conmon 2.1's JSON escaping is not complete (control bytes in runtime errors can slip through),
 * so fall back to picking the fields out by hand.
 */
export function parseSyncMessage(line: string): { data: number; message?: string } {
  try {
    const v = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof v.data === 'number') {
      return { data: v.data, message: typeof v.message === 'string' ? v.message : undefined };
    }
  } catch {
    // handled below
  }
  const data = /"data"\s*:\s*(-?\d+)/.exec(line);
  const message = /"message"\s*:\s*"(.*)"\s*}\s*$/s.exec(line);
  return { data: data ? Number(data[1]) : -1, message: message?.[1] ?? line };
}

/** SIGKILL the conmon recorded in `pidFile`, if it is still conmon. */
export async function killConmon(pidFile: string): Promise<void> {
  const pid = await readPid(pidFile);
  if (pid && (await isConmon(pid))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live conmon (and, with `id`, the one for that task). Checks the command line
 * so a recycled pid is not mistaken for it; zombies count as dead (conmon is reparented, so we
 * cannot reap it, and a non-reaping pid 1 would leave it a zombie forever).
 */
export async function isConmon(pid: number, id?: string): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!argv[0]?.endsWith('conmon')) return false;
    return id === undefined || argv.includes(id);
  } catch {
    return false;
  }
}
