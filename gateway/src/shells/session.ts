// One live shell: a Docker exec (TTY, stdin attached) started hijacked, piped to a browser
// WebSocket both ways with back-pressure, recorded before anything is shown, kept alive with
// ping/pong, and kept running for a grace period when the browser drops so it can reattach.
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { WebSocket } from 'ws';
import type { HostRegistry } from '../hosts/registry.js';
import type { Logger } from '../log.js';
import { Recorder } from '../recording/recorder.js';
import type { RecordingStore } from '../recording/store.js';
import { hangUp } from './hang-up.js';
import { OutputPipeline } from './output-pipeline.js';

export interface ShellInfo {
  id: string;
  userId: string;
  userName: string;
  hostId: string;
  hostName: string;
  containerId: string;
  command: string[];
  execUser: string | null;
}

export interface SessionEnd {
  status: 'ended' | 'failed';
  exitCode: number | null;
  error: string | null;
  bytesIn: number;
  bytesOut: number;
  startedAt: Date | null;
  recordingKey: string | null;
}

export interface ShellTimings {
  graceMs: number;
  pingIntervalMs: number;
  echoWindowMs?: number;
}

// Pause the engine stream when this much is queued towards the browser; resume below LOW.
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
// Output kept for a browser that dropped; beyond it the engine stream waits for a reattach.
const BACKLOG_MAX = 1 << 20;

/** `{"type":"close"}`: cheap enough to test every text frame before the full parse. */
function isCloseRequest(data: Buffer): boolean {
  if (data.length > 64) return false;
  try {
    return (JSON.parse(data.toString('utf8')) as { type?: unknown })?.type === 'close';
  } catch {
    return false;
  }
}

export class ShellSession {
  state: 'starting' | 'live' | 'detached' | 'ended' = 'starting';
  private ws: WebSocket | null = null;
  private stream: Duplex | null = null;
  private exec: Dockerode.Exec | null = null;
  private recorder: Recorder | null = null;
  private graceTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  // Recorded, then delivered; see output-pipeline.ts.
  private readonly output = new OutputPipeline({
    store: (chunk) => this.recorder!.output(chunk),
    deliver: (chunk) => this.deliver(chunk),
    room: () => this.regulate(),
  });
  private waitingForDrain = false;
  /** Bytes handed to the current socket's send whose write has not completed yet. */
  private flight = { bytes: 0 };
  private startedAt: Date | null = null;
  private recordingKey: string | null = null;
  private cols: number;
  private rows: number;
  private ended: Promise<SessionEnd> | null = null;
  private early: Buffer[] = [];
  private streamEnded = false;
  /** The browser sent {"type":"close"} while the exec was still starting. */
  private closeRequested = false;

  constructor(
    readonly info: ShellInfo,
    private readonly deps: {
      hosts: HostRegistry;
      recordings: RecordingStore;
      log: Logger;
      timings: ShellTimings;
      /** Persists state changes and the final outcome. */
      onState(session: ShellSession, state: 'live' | 'detached'): void;
      onEnd(session: ShellSession, end: SessionEnd): Promise<void>;
    },
    size: { cols: number; rows: number },
  ) {
    this.cols = size.cols;
    this.rows = size.rows;
  }

  get started(): Date | null {
    return this.startedAt;
  }

  /** Creates the exec, opens the recording, starts the exec hijacked and binds the browser. */
  async start(ws: WebSocket): Promise<void> {
    const { hosts, recordings } = this.deps;
    const { info } = this;
    this.bindSocket(ws);
    try {
      this.exec = await hosts.call(info.hostId, (d) =>
        d.getContainer(info.containerId).exec({
          Cmd: info.command,
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Tty: true,
          Env: ['TERM=xterm-256color'],
          ...(info.execUser ? { User: info.execUser } : {}),
        }),
      );
      // No recording, no shell: the sink must exist before the process starts.
      this.startedAt = new Date();
      this.recordingKey = info.id;
      const sink = await recordings.create(this.recordingKey);
      this.recorder = new Recorder(
        sink,
        {
          width: this.cols,
          height: this.rows,
          startedAt: this.startedAt,
          command: info.command.join(' '),
          title: `${info.userName}@${info.hostName}:${info.containerId.slice(0, 12)}`,
        },
        (err) => void this.end({ error: `recording failed: ${err.message}` }),
        { echoWindowMs: this.deps.timings.echoWindowMs },
      );
      await this.recorder.start();
      const exec = this.exec;
      this.stream = (await hosts.call(
        info.hostId,
        () => exec.start({ hijack: true, stdin: true, Detach: false, Tty: true }),
        {
          timeoutMs: null,
        },
      )) as Duplex;
    } catch (err) {
      await this.end({ error: (err as Error).message });
      throw err;
    }
    if (this.state === 'ended') return;
    this.stream.on('data', (chunk: Buffer) => this.onOutput(chunk));
    const ended = () => {
      this.streamEnded = true;
      void this.end({});
    };
    this.stream.on('end', ended);
    this.stream.on('close', ended);
    this.stream.on('error', (err) => void this.end({ error: `engine stream: ${err.message}` }));
    await this.applySize();
    for (const data of this.early.splice(0)) this.onMessage(data, true);
    this.state = 'live';
    this.deps.onState(this, 'live');
    this.sendControl({ type: 'ready', sessionId: info.id, recorded: true });
    if (this.closeRequested) void this.end({ closed: true });
    else if (!this.ws) this.detach(); // the browser left while the exec was starting
  }

  /** A browser reattaching within the grace period. Replaces any socket still bound. */
  attach(ws: WebSocket): void {
    if (this.state === 'ended') throw new Error('session has ended');
    clearTimeout(this.graceTimer);
    if (this.ws) {
      const old = this.ws;
      this.unbindSocket();
      old.close(4000, 'taken over by another connection');
    }
    this.bindSocket(ws);
    this.state = 'live';
    this.deps.onState(this, 'live');
    this.sendControl({ type: 'ready', sessionId: this.info.id, recorded: true });
    const backlog = this.backlog;
    this.backlog = [];
    this.backlogBytes = 0;
    for (const chunk of backlog) this.deliver(chunk);
    this.regulate();
  }

  private bindSocket(ws: WebSocket): void {
    this.ws = ws;
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    // Proxies and NATs drop idle TCP; a ping every interval keeps an idle shell open, and a
    // missed pong means the browser is gone (then the grace period starts).
    this.pingTimer = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, this.deps.timings.pingIntervalMs);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      if (this.ws === ws) this.detach();
    });
    ws.on('error', () => {});
  }

  private unbindSocket(): void {
    clearInterval(this.pingTimer);
    // Callbacks of a dropped socket may never run; its bytes no longer hold the stream back.
    this.flight = { bytes: 0 };
    if (this.waitingForDrain) {
      this.waitingForDrain = false;
      setImmediate(() => this.regulate());
    }
    this.ws?.removeAllListeners('message');
    this.ws?.removeAllListeners('close');
    this.ws?.removeAllListeners('pong');
    this.ws = null;
  }

  private detach(): void {
    this.unbindSocket();
    if (this.state === 'ended' || this.state === 'starting') return;
    this.state = 'detached';
    this.deps.onState(this, 'detached');
    this.graceTimer = setTimeout(
      () => void this.end({ error: 'browser did not reattach within the grace period' }),
      this.deps.timings.graceMs,
    );
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'ended') return;
    if (!isBinary && isCloseRequest(data)) {
      // The user closed the terminal: end now rather than wait out the grace period a bare
      // socket close would start. finish() hangs up the exec and closes the socket.
      if (this.stream) void this.end({ closed: true });
      else this.closeRequested = true;
      return;
    }
    if (!this.stream) {
      // Typed before the exec is attached: kept (bounded) and sent once it is.
      if (isBinary && this.early.reduce((n, b) => n + b.length, 0) < 64 << 10) this.early.push(Buffer.from(data));
      return;
    }
    if (isBinary) {
      this.recorder?.input(data);
      if (!this.stream.write(data)) {
        // The engine is not keeping up with the keyboard (a paste): stop reading the browser.
        const ws = this.ws;
        ws?.pause();
        this.stream.once('drain', () => ws?.resume());
      }
      return;
    }
    let msg: { type?: string; cols?: unknown; rows?: unknown };
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
      const cols = Math.min(Math.max(msg.cols as number, 1), 1000);
      const rows = Math.min(Math.max(msg.rows as number, 1), 1000);
      if (cols === this.cols && rows === this.rows) return;
      this.cols = cols;
      this.rows = rows;
      void this.applySize();
      void this.recorder?.resize(cols, rows).catch(() => {});
    }
  }

  private async applySize(): Promise<void> {
    const exec = this.exec;
    if (!exec) return;
    await this.deps.hosts
      .call(this.info.hostId, () => exec.resize({ h: this.rows, w: this.cols }))
      .catch((err: Error) => this.deps.log.debug({ err: err.message, session: this.info.id }, 'exec resize failed'));
  }

  private onOutput(chunk: Buffer): void {
    // Ended: what the hangup makes the program print is drained, not recorded or shown.
    if (this.state === 'ended' || !this.recorder) return;
    this.output.push(chunk);
    this.regulate();
  }

  private deliver(chunk: Buffer): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) {
      this.backlog.push(chunk);
      this.backlogBytes += chunk.length;
      return;
    }
    const flight = this.flight;
    flight.bytes += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      flight.bytes -= chunk.length;
      if (flight === this.flight && this.waitingForDrain && flight.bytes < LOW_WATER) {
        this.waitingForDrain = false;
        this.regulate();
      }
    });
  }

  /** Pauses the engine stream while output waits on the recording, the socket or a reattach; else reads on. */
  private regulate(): void {
    const stream = this.stream;
    if (!stream || this.state === 'ended') return;
    // ws.bufferedAmount says much the same, but only this count comes with an event (the send
    // callback) to resume on, so it is the one that decides.
    if (this.ws && this.flight.bytes > HIGH_WATER) this.waitingForDrain = true;
    const hold = this.output.full || this.waitingForDrain || (!this.ws && this.backlogBytes > BACKLOG_MAX); // resumed by attach()
    if (hold) stream.pause();
    else stream.resume();
  }

  private sendControl(msg: Record<string, unknown>): void {
    if (this.ws?.readyState === this.ws?.OPEN) this.ws?.send(JSON.stringify(msg));
  }

  /** Ends the session (idempotent): reports to the browser, closes the recording, persists. */
  end(reason: { error?: string; closed?: boolean }): Promise<SessionEnd> {
    this.ended ??= this.finish(reason);
    return this.ended;
  }

  private async finish(reason: { error?: string; closed?: boolean }): Promise<SessionEnd> {
    const wasStarted = this.state !== 'starting';
    this.state = 'ended';
    clearTimeout(this.graceTimer);
    const stream = this.stream;
    if (stream && wasStarted && !this.streamEnded && !stream.destroyed) {
      // Ended from this side (closed by the user, grace expired, recording failed, host removed,
      // shutdown). Closing the engine connection does not stop an exec, so do what a hangup does
      // to a terminal: interrupt, then end of input. A program that ignores both keeps running,
      // as it would after `docker exec` lost its client.
      await hangUp(stream);
    }
    // What was read before the end is stored and delivered (a natural exit's last output
    // arrives just before the stream ends), before the browser hears of the end.
    await this.output.settled();
    let exitCode: number | null = null;
    if (this.exec && wasStarted) {
      const exec = this.exec;
      exitCode = await this.deps.hosts
        .call(this.info.hostId, async (_d, signal) => {
          const s = await exec.inspect({ abortSignal: signal } as object);
          return s.Running ? null : (s.ExitCode ?? null);
        })
        .catch(() => null);
    }
    const error = reason.error ?? this.recorder?.failed?.message ?? null;
    this.stream?.removeAllListeners('data');
    this.stream?.destroy();
    await this.recorder?.close().catch(() => {});
    const end: SessionEnd = {
      status: error ? 'failed' : 'ended',
      exitCode,
      error,
      bytesIn: this.recorder?.bytesIn ?? 0,
      bytesOut: this.recorder?.bytesOut ?? 0,
      startedAt: this.startedAt,
      recordingKey: this.recorder ? this.recordingKey : null,
    };
    // Persisted before the browser hears of it, so whatever it asks next sees the outcome.
    await this.deps
      .onEnd(this, end)
      .catch((err: Error) => this.deps.log.error({ err: err.message }, 'persisting shell end failed'));
    if (error) this.sendControl({ type: 'error', message: error });
    if (exitCode !== null) this.sendControl({ type: 'exit', code: exitCode });
    const ws = this.ws;
    this.unbindSocket();
    ws?.close(error ? 1011 : 1000, error ? 'shell ended' : reason.closed ? 'closed' : 'exited');
    return end;
  }
}
