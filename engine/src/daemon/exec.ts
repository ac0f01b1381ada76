import { randomBytes } from 'node:crypto';
import type { ExecBackend, Json, StreamIO } from '../api/backend.js';
import type { ContainerRecord } from '../containers/types.js';
import { EngineError } from '../errors.js';
import { type ExecProcess, ExecStartError } from '../runtime/exec-types.js';
import { containerAttributes, type DaemonContext } from './context.js';
import { pipeExecSession } from './exec-session.js';
import { buildExecProcess, type ExecConfig, parseExecConfig } from './exec-spec.js';
import type { SessionRecorder } from './recording.js';

/** One `docker exec` instance: created, then started once, then kept a while for inspect. */
interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  started: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
  proc?: ExecProcess;
  /** Size asked for before the process existed (docker resizes right after start). */
  pendingSize?: { height: number; width: number };
  onResize?: (size: { height: number; width: number }) => void;
  exitedAt?: number;
}

/** How long an exited exec stays inspectable (moby's exec GC runs every 5 minutes). */
const KEEP_EXITED_MS = 5 * 60_000;

/**
 * Exec instances (moby daemon/exec.go): create records the request; start runs it through the
 * runtime and pipes it to the client (exec-session.ts); inspect reports Running, ExitCode, Pid.
 * Instances live in memory only, as in dockerd.
 */
export class ExecManager {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly bundlePath: (c: ContainerRecord) => string,
    /** Set when berthd records sessions (--record-sessions). */
    public recorder?: SessionRecorder,
  ) {}

  async create(ref: string, body: Json): Promise<{ Id: string }> {
    const c = this.ctx.containers.get(ref);
    this.requireRunning(c);
    const config = parseExecConfig(body);
    this.gc();
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId: c.id, config, started: false, running: false, exitCode: null, pid: 0 });
    this.ctx.events.publish(
      'container',
      `exec_create: ${config.Cmd.join(' ')}`,
      c.id,
      containerAttributes(c, { execID: id }),
    );
    return { Id: id };
  }

  isTty(id: string): boolean {
    return this.get(id).config.Tty;
  }

  /**
   * Run the exec and, unless detached, pipe it to `io` until the process has exited and its
   * output is drained; the exit code is recorded before `io.output` ends (the docker CLI inspects
   * the exec as soon as its stream ends). A process that cannot start ends with Docker's message
   * on the stream and exit code 126/127, as dockerd does.
   */
  async start(
    id: string,
    opts: { detach: boolean; tty: boolean; size?: { height: number; width: number }; onStart?: (pid: number) => void },
    io: StreamIO,
  ): Promise<void> {
    const e = this.get(id);
    if (e.running) throw new EngineError('CONFLICT', `Error: Exec command ${id} is already running`);
    if (e.started) throw new EngineError('CONFLICT', `Error: Exec command ${id} has already run`);
    const c = this.ctx.containers.get(e.containerId);
    this.requireRunning(c);
    e.started = true;
    e.running = true;
    const size =
      opts.size ??
      e.pendingSize ??
      (e.config.ConsoleSize ? { height: e.config.ConsoleSize[0], width: e.config.ConsoleSize[1] } : undefined);
    const attach = !opts.detach;
    const wantStdin = attach && e.config.AttachStdin && io.input !== null;
    let proc: ExecProcess;
    try {
      const process = await buildExecProcess(c, this.bundlePath(c), e.config, size);
      proc = await this.ctx.runtime.exec(c.id, { execId: id, process, stdin: wantStdin, detach: !attach });
    } catch (err) {
      e.running = false;
      e.exitCode = err instanceof ExecStartError ? err.exitCode : 126;
      e.exitedAt = Date.now();
      if (opts.detach || !(err instanceof ExecStartError)) throw err;
      // dockerd writes the error into the stream and lets the exit code tell the rest.
      io.output.end({ stream: 'stdout', data: Buffer.from(`OCI runtime exec failed: ${err.message}: unknown\r\n`) });
      return;
    }
    e.proc = proc;
    e.pid = proc.pid;
    this.ctx.events.publish(
      'container',
      `exec_start: ${e.config.Cmd.join(' ')}`,
      c.id,
      containerAttributes(c, { execID: id }),
    );
    opts.onStart?.(proc.pid);
    if (e.pendingSize && e.config.Tty) await proc.resize(e.pendingSize).catch(() => undefined);
    const exited = proc.exited.then((code) => this.exited(e, c, code));
    if (!attach) {
      io.output.end();
      return;
    }
    // Sessions a client is connected to (hijacked or WebSocket); not the daemon's own execs
    // such as health probes, which have no input side at all.
    const recording =
      io.input === null
        ? undefined
        : this.recorder?.open({
            kind: 'exec',
            containerId: c.id,
            containerName: c.name.replace(/^\//, ''),
            execId: id,
            command: e.config.Cmd,
            tty: e.config.Tty,
            user: e.config.User || undefined,
            size: size && size.width > 0 ? size : undefined,
          });
    e.onResize = (s) => recording?.resize({ width: s.width, height: s.height });
    await pipeExecSession(proc, io, {
      tty: e.config.Tty,
      stdout: e.config.AttachStdout,
      stderr: e.config.AttachStderr,
      detachKeys: e.config.DetachKeys,
      recording,
      exited,
    });
    await recording?.close(e.exitCode ?? undefined);
  }

  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    const e = this.get(id);
    if (!e.proc) {
      // The CLI may resize before start has got the process going: apply it when it has.
      e.pendingSize = size;
      return;
    }
    if (!e.running) throw new EngineError('CONFLICT', `Exec ${id} is not running`);
    // Recorded when asked for, not once applied: the process may see the size, act on it and
    // exit (closing the recording) before the resize call returns.
    e.onResize?.(size);
    await e.proc.resize(size);
  }

  inspect(id: string): Json {
    const e = this.get(id);
    const [entrypoint = '', ...args] = e.config.Cmd;
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.config.Tty,
        entrypoint,
        arguments: args,
        privileged: e.config.Privileged,
        user: e.config.User,
      },
      OpenStdin: e.config.AttachStdin,
      OpenStderr: e.config.AttachStderr,
      OpenStdout: e.config.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys,
      Pid: e.pid,
    };
  }

  /** Running exec ids of a container (container inspect's ExecIDs; null when none, as dockerd). */
  execIds(containerId: string): string[] | null {
    const ids = [...this.execs.values()].filter((e) => e.containerId === containerId && e.running).map((e) => e.id);
    return ids.length > 0 ? ids : null;
  }

  /** Container inspect with ExecIDs filled in. */
  async withExecIds(inspect: Promise<Json>): Promise<Json> {
    const json = await inspect;
    return { ...json, ExecIDs: this.execIds(String(json.Id)) };
  }

  private async exited(e: ExecInstance, c: ContainerRecord, code: number): Promise<number> {
    e.running = false;
    e.exitCode = code;
    e.exitedAt = Date.now();
    this.ctx.events.publish(
      'container',
      'exec_die',
      c.id,
      containerAttributes(c, { execID: e.id, exitCode: String(code) }),
    );
    return code;
  }

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new EngineError('NO_SUCH_EXEC', id);
    return e;
  }

  private requireRunning(c: ContainerRecord): void {
    if (c.state.Paused)
      throw new EngineError('CONFLICT', `Container ${c.id} is paused, unpause the container before exec`);
    if (!c.state.Running || c.state.Restarting) throw new EngineError('NOT_RUNNING', c.id);
  }

  private gc(): void {
    const cutoff = Date.now() - KEEP_EXITED_MS;
    for (const [id, e] of this.execs) {
      if (!e.running && e.exitedAt !== undefined && e.exitedAt < cutoff) this.execs.delete(id);
      else if (!this.ctx.containers.find(e.containerId) && !e.running) this.execs.delete(id);
    }
  }
}

/** The exec part of the Backend. */
export function execBackendOf(execs: ExecManager): ExecBackend {
  return {
    execCreate: (ref, body) => execs.create(ref, body),
    execStart: (id, opts, io) => execs.start(id, opts, io),
    execInspect: (id) => execs.inspect(id),
    execResize: (id, size) => execs.resize(id, size),
    execIsTty: (id) => execs.isTty(id),
  };
}
