import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EngineError, isEngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { readJson } from '../metadata/atomic.js';
import { isMountpoint, mountAll, unmount } from '../mount/mount.js';
import { openAttach } from './attach.js';
import { isConmon, killConmon, launchConmon, readPid } from './conmon.js';
import { checkDependencies, defaultConmonPath, defaultRuntimePath } from './dependencies.js';
import { startExec } from './exec.js';
import type { ExecOptions, ExecProcess } from './exec-types.js';
import { ExitMonitor } from './exits.js';
import { TaskLayout, type TaskRecord, validTaskId } from './layout.js';
import { readLogs } from './logs.js';
import { OciRuntimeCli, OciRuntimeError } from './runc.js';
import { ConmonThrottle, continueConmon } from './throttle.js';
import { formatRfc3339Nano, nowRfc3339Nano } from './time.js';
import type {
  AttachStream,
  CreateTaskOptions,
  ExitStatus,
  LogEntry,
  LogReadOptions,
  Runtime,
  TaskStatus,
} from './types.js';

export interface ConmonRuntimeOptions {
  /** Runtime state directory, e.g. `<data-root>/runtime`. */
  root: string;
  /** OCI runtime binary; default runc from /usr/sbin or PATH. crun takes the same commands. */
  runtimePath?: string;
  conmonPath?: string;
  log: Logger;
  /** How long create() waits for conmon's handshake. Default 60 s. */
  createTimeoutMs?: number;
}

/** Exit code reported when conmon died without recording one (docker uses 255 for "unknown"). */
const UNKNOWN_EXIT = 255;

/**
 * runtime: tasks run under conmon (one per container, not berthd's child) and an OCI runtime, as
 * Podman runs them. All state is on disk under `root` (see TaskLayout), so a new ConmonRuntime
 * on the same root finds, waits for, attaches to and deletes tasks started by an earlier berthd.
 */
export class ConmonRuntime implements Runtime {
  readonly name: string;
  readonly runtimePath: string;
  readonly conmonPath: string;
  private readonly layout: TaskLayout;
  private readonly cli: OciRuntimeCli;
  private readonly exits: ExitMonitor;
  private readonly log: Logger;

  constructor(private readonly opts: ConmonRuntimeOptions) {
    this.runtimePath = opts.runtimePath ?? defaultRuntimePath();
    this.conmonPath = opts.conmonPath ?? defaultConmonPath();
    this.name = basename(this.runtimePath);
    this.layout = new TaskLayout(opts.root);
    this.cli = new OciRuntimeCli(this.runtimePath, this.layout.runtimeRoot);
    this.exits = new ExitMonitor(this.layout.exitDir);
    this.log = opts.log;
  }

  /** Throws an EngineError naming every missing host dependency. */
  checkDependencies(): Promise<void> {
    return checkDependencies({ runtimePath: this.runtimePath, conmonPath: this.conmonPath });
  }

  async create(opts: CreateTaskOptions): Promise<{ pid: number }> {
    const { id, bundle } = opts;
    if (!validTaskId(id)) throw new EngineError('BAD_PARAMETER', `invalid task id ${JSON.stringify(id)}`);
    const taskDir = this.layout.taskDir(id);
    // A restarted container reuses its id: clear the previous task's exit record first.
    await rm(taskDir, { recursive: true, force: true });
    await rm(this.layout.exitFile(id), { force: true });
    await Promise.all([
      mkdir(taskDir, { recursive: true }),
      mkdir(this.layout.exitDir, { recursive: true }),
      mkdir(this.layout.socketDir, { recursive: true }),
      mkdir(this.layout.runtimeRoot, { recursive: true }),
      mkdir(dirname(opts.logPath), { recursive: true }),
    ]);
    const rootfsDir = join(bundle, 'rootfs');
    await mkdir(rootfsDir, { recursive: true });
    // The caller may have mounted the rootfs already (to read /etc/passwd while building the spec);
    // either way the task owns the mount from here, and delete() unmounts it.
    const mountedRootfs = opts.rootfs.length > 0;
    if (mountedRootfs && !(await isMountpoint(rootfsDir))) await mountAll(opts.rootfs, rootfsDir);
    const record: TaskRecord = {
      id,
      bundle,
      logPath: opts.logPath,
      terminal: opts.terminal,
      stdin: opts.stdin,
      stdinOnce: opts.stdinOnce,
      runtime: this.runtimePath,
      mountedRootfs,
      createdAt: nowRfc3339Nano(),
    };
    try {
      await writeRecord(this.layout.record(id), record);
      const pid = await launchConmon({
        conmonPath: this.conmonPath,
        runtimePath: this.runtimePath,
        runtimeRoot: this.layout.runtimeRoot,
        id,
        bundle,
        taskDir,
        containerPidFile: this.layout.containerPidFile(id),
        conmonPidFile: this.layout.conmonPidFile(id),
        exitDir: this.layout.exitDir,
        socketDir: this.layout.socketDir,
        logPath: opts.logPath,
        terminal: opts.terminal,
        stdin: opts.stdin,
        leaveStdinOpen: !opts.stdinOnce,
        timeoutMs: this.opts.createTimeoutMs,
      });
      this.log.debug({ id, pid }, 'task created');
      return { pid };
    } catch (err) {
      await this.cli.delete(id, true).catch(() => {});
      await this.removeTaskFiles(id, record);
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    await this.runtimeCall(id, () => this.cli.start(id));
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    if (!/^[A-Za-z0-9+-]+$/.test(signal)) throw new EngineError('BAD_PARAMETER', `invalid signal: ${signal}`);
    await this.runtimeCall(id, () => this.cli.kill(id, signal, all));
  }

  async pause(id: string): Promise<void> {
    const { status } = await this.state(id);
    if (status === 'paused') throw new EngineError('ALREADY_PAUSED', id);
    if (status !== 'running') throw new EngineError('NOT_RUNNING', id);
    await this.runtimeCall(id, () => this.cli.pause(id));
  }

  async resume(id: string): Promise<void> {
    const { status } = await this.state(id);
    if (status !== 'paused') throw new EngineError('NOT_PAUSED', id);
    await this.runtimeCall(id, () => this.cli.resume(id));
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!validTaskId(id)) throw new EngineError('BAD_PARAMETER', `invalid task id ${JSON.stringify(id)}`);
    const record = await this.record(id);
    // Nothing known under this id (the daemon clears stale tasks before every start): no spawns.
    if (!record && !(await exists(join(this.layout.runtimeRoot, id))) && !(await exists(this.layout.taskDir(id)))) {
      await rm(this.layout.exitFile(id), { force: true });
      return;
    }
    try {
      // Without force runc still deletes a stopped task, and kills a created-but-unstarted one.
      await this.cli.delete(id, opts.force === true);
    } catch (err) {
      if (err instanceof OciRuntimeError && /not stopped/.test(err.message)) {
        throw new EngineError('CONFLICT', `task ${id} is still running: stop it before deleting, or force`);
      }
      await this.runtimeCall(id, () => Promise.reject(err));
    }
    await this.awaitConmonExit(id, 5000);
    await this.removeTaskFiles(id, record);
  }

  async state(id: string): Promise<{ status: TaskStatus; pid: number }> {
    const s = await this.runtimeCall(id, () => this.cli.state(id));
    if (!s) {
      // The runtime has no record; an exit file means it ran and was deleted from runc only.
      const exited = await exists(this.layout.exitFile(id));
      return { status: exited ? 'stopped' : 'unknown', pid: 0 };
    }
    const status: TaskStatus = s.status === 'creating' ? 'created' : s.status;
    return { status, pid: status === 'stopped' ? 0 : s.pid };
  }

  async wait(id: string): Promise<ExitStatus> {
    if (!(await exists(this.layout.taskDir(id))) && !(await exists(this.layout.exitFile(id)))) {
      throw new EngineError('NO_SUCH_CONTAINER', id);
    }
    for (;;) {
      const status = await this.exitStatus(id);
      if (status) return status;
      // The exit file normally wakes us at once; the timeout only re-checks that conmon lives.
      await this.exits.whenExited(id, 1000);
    }
  }

  async exitStatus(id: string): Promise<ExitStatus | undefined> {
    const recorded = await this.readExitFile(id);
    if (recorded) return recorded;
    const conmonPid = await readPid(this.layout.conmonPidFile(id));
    if (conmonPid !== undefined && (await isConmon(conmonPid, id))) return undefined;
    // conmon writes the exit file just before it exits: look once more now that it is gone.
    const late = await this.readExitFile(id);
    if (late) return late;
    if (!(await exists(this.layout.record(id)))) return undefined;
    const s = await this.cli.state(id).catch(() => undefined);
    // Still alive without its conmon (conmon killed): not exited.
    if (s && s.status !== 'stopped') return undefined;
    this.log.warn({ id }, 'conmon is gone without recording an exit code');
    return { exitCode: UNKNOWN_EXIT, exitedAt: nowRfc3339Nano(), oomKilled: await exists(this.layout.oomFile(id)) };
  }

  async attach(id: string, opts: { stdin: boolean }): Promise<AttachStream> {
    const record = await this.requireRecord(id);
    try {
      const conmonPid = await readPid(this.layout.conmonPidFile(id));
      return await openAttach(this.layout.attachSocket(record.bundle), {
        stdin: opts.stdin && record.stdin,
        tty: record.terminal,
        throttle: new ConmonThrottle(conmonPid),
      });
    } catch (err) {
      const msg = (err as Error).message;
      if (/ENOENT|ECONNREFUSED|No such file|Connection refused|os error (2|111)\b/i.test(msg)) {
        throw new EngineError('NOT_RUNNING', id);
      }
      throw new EngineError('RUNTIME', `attach to ${id}: ${msg}`);
    }
  }

  /** Resize a TTY task's terminal through conmon's control FIFO (`1 <height> <width>`). */
  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    const record = await this.requireRecord(id);
    if (!record.terminal) return;
    const h = Math.trunc(size.height);
    const w = Math.trunc(size.width);
    if (!(h >= 0 && w >= 0 && h <= 1000 && w <= 1000)) {
      throw new EngineError('BAD_PARAMETER', `invalid terminal size ${size.height}x${size.width}`);
    }
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      // Non-blocking: opening a FIFO nobody reads (conmon gone) would block forever.
      fh = await open(this.layout.ctlFifo(record.bundle), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENXIO' || code === 'ENOENT') throw new EngineError('NOT_RUNNING', id);
      throw err;
    }
    try {
      await fh.write(`1 ${h} ${w}\n`);
    } catch (err) {
      // conmon closed its end between our open and write: the task has just exited.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new EngineError('NOT_RUNNING', id);
      throw err;
    } finally {
      await fh.close();
    }
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    await this.requireRecord(id);
    const env = {
      runtimePath: this.runtimePath,
      conmonPath: this.conmonPath,
      runtimeRoot: this.layout.runtimeRoot,
      execRoot: join(this.opts.root, 'exec'),
    };
    return startExec(env, id, opts);
  }

  async pids(id: string): Promise<number[]> {
    try {
      return await this.runtimeCall(id, () => this.cli.ps(id));
    } catch (err) {
      if (isEngineError(err, 'NOT_RUNNING')) return [];
      throw err;
    }
  }

  readLogs(logPath: string, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return readLogs(logPath, opts);
  }

  /** Ids of every task with state under root (for restore and for sweeping leftovers). */
  async tasks(): Promise<string[]> {
    try {
      return (await readdir(this.layout.tasksDir)).filter(validTaskId);
    } catch {
      return [];
    }
  }

  /**
   * A berthd that went down while holding back a slow reader's conmon (throttle.ts) left it
   * stopped: let every conmon of ours go on. Only ours: each is checked to be conmon for that id.
   */
  async recover(): Promise<void> {
    const ids = await this.tasks();
    const execRoot = join(this.opts.root, 'exec');
    const execIds = await readdir(execRoot).catch(() => [] as string[]);
    const candidates = [
      ...ids.map((id) => ({ id, file: this.layout.conmonPidFile(id) })),
      ...execIds.filter(validTaskId).map((id) => ({ id, file: join(execRoot, id, 'conmon.pid') })),
    ];
    for (const { id, file } of candidates) {
      const pid = await readPid(file);
      if (pid !== undefined && (await isConmon(pid, id))) continueConmon(pid);
    }
  }

  private async record(id: string): Promise<TaskRecord | undefined> {
    if (!validTaskId(id)) return undefined;
    return readJson<TaskRecord>(this.layout.record(id));
  }

  private async requireRecord(id: string): Promise<TaskRecord> {
    const record = await this.record(id);
    if (!record) throw new EngineError('NO_SUCH_CONTAINER', id);
    return record;
  }

  private async readExitFile(id: string): Promise<ExitStatus | undefined> {
    const file = this.layout.exitFile(id);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const st = await stat(file, { bigint: true });
    const code = Number.parseInt(text.trim(), 10);
    return {
      // conmon writes -1 when it could not learn the status (its timeout path).
      exitCode: Number.isInteger(code) && code >= 0 ? code : UNKNOWN_EXIT,
      exitedAt: formatRfc3339Nano(st.mtimeNs),
      oomKilled: await exists(this.layout.oomFile(id)),
    };
  }

  /**
   * After the container is gone conmon drains output and writes its exit files; wait for those
   * (it writes nothing under our root after the exit file), and kill a conmon that never gets there.
   */
  private async awaitConmonExit(id: string, timeoutMs: number): Promise<void> {
    const pidFile = this.layout.conmonPidFile(id);
    const pid = await readPid(pidFile);
    if (pid === undefined || !(await isConmon(pid, id))) return;
    if (await this.exits.whenExited(id, timeoutMs)) return;
    if (await isConmon(pid, id)) {
      this.log.warn({ id, pid }, 'conmon did not record an exit after its container was deleted; killing it');
      await killConmon(pidFile);
    }
  }

  private async removeTaskFiles(id: string, record: TaskRecord | undefined): Promise<void> {
    if (record) {
      if (record.mountedRootfs) await unmount(join(record.bundle, 'rootfs'));
      await Promise.all(
        [
          this.layout.attachSocket(record.bundle),
          this.layout.ctlFifo(record.bundle),
          this.layout.winszFifo(record.bundle),
        ].map((f) => rm(f, { force: true })),
      );
    }
    await rm(join(this.layout.socketDir, id), { recursive: true, force: true });
    await rm(this.layout.taskDir(id), { recursive: true, force: true });
    await rm(this.layout.exitFile(id), { force: true });
  }

  /** Run a runtime command, turning its errors into the engine's catalogue. */
  private async runtimeCall<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OciRuntimeError) {
        if (err.notFound) throw new EngineError('NO_SUCH_CONTAINER', id);
        if (err.notRunning) throw new EngineError('NOT_RUNNING', id);
        throw new EngineError('RUNTIME', `${this.name} ${err.command} ${id}: ${err.message}`);
      }
      throw err;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Atomic (rename) but not fsynced: the record only matters while the host is up, as the tasks it
 * describes do not survive a host crash; an fsync here would sit on every container start.
 */
async function writeRecord(path: string, record: TaskRecord): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, path);
}
