import type { AttachOptions, OutputFrame, StreamIO } from '../api/backend.js';
import type { ContainerRecord } from '../containers/types.js';
import type { AttachStream } from '../runtime/types.js';
import type { DaemonContext } from './context.js';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';
import type { SessionRecorder } from './recording.js';

interface Session {
  opts: AttachOptions;
  io: StreamIO;
  done: () => void;
}

/**
 * Attach clients. A client may attach before the container starts (`docker run` attaches, then
 * starts): such sessions wait here and are connected by `connectPending` between the runtime's
 * create and start, so not one byte of output is missed.
 */
export class AttachManager {
  private readonly pending = new Map<string, Set<Session>>();
  /** Set when berthd records sessions (--record-sessions). */
  recorder?: SessionRecorder;

  constructor(private readonly ctx: DaemonContext) {}

  async attach(c: ContainerRecord, opts: AttachOptions, io: StreamIO): Promise<void> {
    if (opts.logs) await this.replayLogs(c, opts, io);
    if (!opts.stream) {
      io.output.end();
      return;
    }
    if (c.state.Running) {
      await new Promise<void>((done) => void this.connect(c, { opts, io, done }));
      return;
    }
    await new Promise<void>((done) => {
      const session: Session = { opts, io, done };
      const set = this.pending.get(c.id) ?? new Set<Session>();
      this.pending.set(c.id, set);
      set.add(session);
      // A client that goes away before the start must not be connected later.
      const gone = () => {
        if (this.pending.get(c.id)?.delete(session)) done();
      };
      io.output.once('close', gone);
      io.input?.once('close', gone);
    });
  }

  hasPending(id: string): boolean {
    return (this.pending.get(id)?.size ?? 0) > 0;
  }

  /** Connect clients that attached before start. Called once the task exists, before it runs. */
  async connectPending(c: ContainerRecord): Promise<void> {
    const set = this.pending.get(c.id);
    if (!set) return;
    this.pending.delete(c.id);
    await Promise.all([...set].map((s) => this.connect(c, s)));
  }

  /** The container will not start: release waiting clients. */
  cancelPending(id: string): void {
    const set = this.pending.get(id);
    this.pending.delete(id);
    for (const s of set ?? []) {
      s.io.output.end();
      s.done();
    }
  }

  private async replayLogs(c: ContainerRecord, opts: AttachOptions, io: StreamIO): Promise<void> {
    for await (const entry of this.ctx.runtime.readLogs(c.logPath, {})) {
      if ((entry.stream === 'stdout' && !opts.stdout) || (entry.stream === 'stderr' && !opts.stderr)) continue;
      if (!io.output.write({ stream: entry.stream, data: entry.data } satisfies OutputFrame)) {
        await new Promise((r) => io.output.once('drain', r));
      }
    }
  }

  private async connect(c: ContainerRecord, s: Session): Promise<void> {
    const wantStdin = Boolean(s.opts.stdin && s.io.input && c.config.OpenStdin);
    let stream: AttachStream;
    try {
      stream = await this.ctx.runtime.attach(c.id, { stdin: wantStdin });
    } catch (err) {
      this.ctx.log.warn({ err, id: c.id }, 'attach failed');
      s.io.output.end();
      s.done();
      return;
    }
    const recording = this.recorder?.open({
      kind: 'attach',
      containerId: c.id,
      containerName: c.name.replace(/^\//, ''),
      command: [c.path, ...c.args],
      tty: Boolean(c.config.Tty),
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      void recording?.close();
      stream.close();
      if (!s.io.output.writableEnded) s.io.output.end();
      s.done();
    };
    stream.output.on('data', (frame: OutputFrame) => {
      if ((frame.stream === 'stdout' && !s.opts.stdout) || (frame.stream === 'stderr' && !s.opts.stderr)) return;
      recording?.output(frame.data, frame.stream);
      if (!s.io.output.write(frame)) {
        stream.output.pause();
        s.io.output.once('drain', () => stream.output.resume());
      }
    });
    stream.output.once('end', finish);
    stream.output.once('error', finish);
    s.io.output.once('close', finish);
    const input = s.io.input;
    if (!input) return;
    // The client is gone (its socket closed): leave the container running, disconnect from conmon.
    input.once('close', finish);
    if (!stream.stdin) return;
    const stdin = stream.stdin;
    const scanner = c.config.Tty ? new DetachScanner(parseDetachKeys(s.opts.detachKeys)) : undefined;
    input.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (scanner) {
        const { forward, detach } = scanner.push(chunk);
        data = forward;
        if (detach) {
          if (data.length > 0) stdin.write(data);
          finish();
          return;
        }
      }
      if (data.length > 0) recording?.input(data);
      if (data.length > 0 && !stdin.write(data)) {
        input.pause();
        stdin.once('drain', () => input.resume());
      }
    });
    input.resume(); // see pipeExecSession: the API layer may hand the socket over paused
    const onEnd = () => {
      if (finished) return;
      // A terminal has no end of input: a TTY client's FIN means it is gone (detach).
      if (c.config.Tty) finish();
      else stdin.end();
    };
    input.once('end', onEnd);
    // The client may have closed its side while we connected to conmon.
    if (input.readableEnded) onEnd();
    else if (input.destroyed) finish();
  }
}
