import { Readable } from 'node:stream';
import type { OutputFrame } from './types.js';

/**
 * Merges a process's stdout and stderr pipes into one objectMode stream of OutputFrames with
 * back-pressure: when the reader falls behind, both pipes are paused, so the kernel pipe fills and
 * the writing process blocks (no unbounded buffering in berthd). Ends once both pipes have ended.
 */
export class PipeOutput extends Readable {
  private discarding = false;
  private finished = false;
  /** Frames of streams held back (see hold()). */
  private held: OutputFrame[] | undefined;
  private holding: OutputFrame['stream'] | undefined;

  /** Attach before the pipes can flow: a pipe that ends unobserved would never end this stream. */
  constructor(private readonly sources: { stream: OutputFrame['stream']; pipe: Readable }[]) {
    // 16 frames of up to 64 KiB (a pipe read) is what berthd holds per exec before pausing.
    super({ objectMode: true, highWaterMark: 16 });
    for (const { stream, pipe } of sources) {
      pipe.on('data', (data: Buffer) => this.onData(stream, data));
      pipe.once('end', () => this.sourceDone());
      pipe.once('error', () => this.sourceDone());
      pipe.once('close', () => this.sourceDone());
    }
  }

  /** Keep one stream's output aside (not counted against back-pressure) until release(). */
  hold(stream: OutputFrame['stream']): void {
    this.holding = stream;
    this.held = [];
  }

  /** The held output, as text. */
  heldText(): string {
    return Buffer.concat((this.held ?? []).map((f) => f.data)).toString('utf8');
  }

  release(): void {
    const held = this.held ?? [];
    this.holding = undefined;
    this.held = undefined;
    for (const f of held) this.push(f);
    this.sourceDone();
  }

  private onData(stream: OutputFrame['stream'], data: Buffer): void {
    if (this.discarding) return;
    if (stream === this.holding) {
      this.held?.push({ stream, data });
      return;
    }
    if (!this.push({ stream, data } satisfies OutputFrame)) this.pauseSources();
  }

  override _read(): void {
    for (const { pipe } of this.sources) pipe.resume();
  }

  /** Nobody reads any more: keep the pipes flowing into nothing so the process never blocks. */
  discard(): void {
    if (this.discarding) return;
    this.discarding = true;
    for (const { pipe } of this.sources) pipe.resume();
    if (!this.readableEnded) {
      this.push(null);
      this.resume();
    }
  }

  /** Nobody reads any more and the process should learn it: its next write fails (EPIPE). */
  close(): void {
    this.discarding = true;
    for (const { pipe } of this.sources) pipe.destroy();
    if (!this.readableEnded) {
      this.push(null);
      this.resume();
    }
  }

  private pauseSources(): void {
    for (const { pipe } of this.sources) pipe.pause();
  }

  private sourceDone(): void {
    // 'end', 'error' and 'close' may all fire for one pipe: count pipes, not events.
    if (this.finished || this.held || !this.sources.every(({ pipe }) => pipe.readableEnded || pipe.destroyed)) return;
    this.finished = true;
    if (!this.discarding && !this.readableEnded) this.push(null);
  }
}
