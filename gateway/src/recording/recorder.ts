// Writes one shell session as asciicast v2: a JSON header line, then [time, code, data] events:
// "o" output, "i" input (filtered by EchoFilter), "r" resize ("COLSxROWS"), "m" markers (here:
// where input was withheld). Output is recorded BEFORE it is sent to the browser, so a failed
// write ends the shell rather than letting anything through unrecorded.
import { StringDecoder } from 'node:string_decoder';
import { type EventCode, incompleteTail, outputLine, textLine, textTail } from './cast-line.js';
import { EchoFilter } from './echo-filter.js';
import type { RecordingSink } from './store.js';

const NOTHING = Buffer.alloc(0);

export interface RecordingHeader {
  width: number;
  height: number;
  startedAt: Date;
  command: string;
  title: string;
}

export class Recorder {
  private readonly started: number;
  private lastT = 0;
  // Terminal output is bytes; asciicast wants text. The start of a multi-byte character split
  // across chunks waits for the rest, so the text replays to the same bytes.
  private outCarry = NOTHING;
  private readonly inDecoder = new StringDecoder('utf8');
  private readonly filter: EchoFilter;
  private failure: Error | null = null;
  /** The last write started (or queued behind the one in flight). */
  private writes: Promise<void> = Promise.resolve();
  /** Lines waiting for the write in flight to finish; they go together in the next (group commit). */
  private next: { lines: Buffer[]; stored: Promise<void> } | null = null;
  bytesOut = 0;
  bytesIn = 0;
  withheld = 0;

  constructor(
    private readonly sink: RecordingSink,
    private readonly header: RecordingHeader,
    private readonly onFailure: (err: Error) => void,
    opts: { echoWindowMs?: number; now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.started = header.startedAt.getTime();
    this.filter = new EchoFilter({
      windowMs: opts.echoWindowMs,
      now: this.now,
      keep: (e) => void this.event(e.t, 'i', e.data).catch(() => {}),
      drop: (e) => {
        this.withheld += e.bytes;
        void this.event(e.t, 'm', 'input withheld (terminal echo off)').catch(() => {});
      },
    });
  }

  private readonly now: () => number;

  async start(): Promise<void> {
    await this.line(
      `${JSON.stringify({
        version: 2,
        width: this.header.width,
        height: this.header.height,
        timestamp: Math.floor(this.started / 1000),
        command: this.header.command,
        title: this.header.title,
        env: { TERM: 'xterm-256color' },
      })}\n`,
    );
  }

  /** Events must not go back in time; a keystroke confirmed late is stamped no earlier than the last event. */
  private time(at: number): number {
    const t = Math.max(this.lastT, (at - this.started) / 1000);
    this.lastT = t;
    return t;
  }

  private event(at: number, code: EventCode, data: string): Promise<void> {
    return this.line(textLine(this.time(at), code, data));
  }

  /**
   * Appends a line; resolves once it is stored. Lines that come while a write is in flight are
   * stored together by the next one (group commit), and resolve with the same promise.
   */
  private line(line: Buffer | string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    if (this.next) {
      this.next.lines.push(bytes);
      return this.next.stored;
    }
    const next = { lines: [bytes], stored: Promise.resolve() };
    this.next = next;
    // Not also deferred to the end of the event-loop turn to gather more: measured, the extra
    // hop slowed a browser's flood (it refills the stream after each back-pressure pause).
    next.stored = this.writes.then(() => {
      this.next = null; // from here on, lines wait for the write after this one
      if (this.failure) throw this.failure;
      return this.sink.write(next.lines.length === 1 ? next.lines[0]! : Buffer.concat(next.lines));
    });
    this.writes = next.stored.catch((err: Error) => {
      if (!this.failure) {
        this.failure = err;
        this.onFailure(err);
      }
    });
    return next.stored;
  }

  /** Resolves once the chunk is stored; only then may it be shown. */
  output(chunk: Buffer): Promise<void> {
    this.bytesOut += chunk.length;
    const bytes = this.outCarry.length ? Buffer.concat([this.outCarry, chunk]) : chunk;
    const whole = bytes.length - incompleteTail(bytes);
    this.outCarry = whole === bytes.length ? NOTHING : Buffer.from(bytes.subarray(whole));
    if (!whole) return Promise.resolve();
    const complete = bytes.subarray(0, whole);
    // The filter looks at all output only while keystrokes wait for their echo; otherwise only
    // at the last line (≤ 200 characters), and decoding all of a flood for it would be wasted.
    this.filter.output(this.filter.awaitingEcho ? complete.toString('utf8') : textTail(complete, 1024));
    return this.line(outputLine(this.time(this.now()), complete));
  }

  input(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const text = this.inDecoder.write(chunk);
    if (text) this.filter.input(text, this.now());
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.event(this.now(), 'r', `${cols}x${rows}`);
  }

  get failed(): Error | null {
    return this.failure;
  }

  async close(): Promise<void> {
    this.filter.close();
    const rest = this.outCarry.toString('utf8'); // an incomplete character: U+FFFD, as a decoder would
    if (rest) await this.event(this.now(), 'o', rest).catch(() => {});
    await this.writes;
    await this.sink.close();
  }
}
