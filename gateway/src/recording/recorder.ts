// Writes one shell session as asciicast v2: a JSON header line, then [time, code, data] events:
// "o" output, "i" input (filtered by EchoFilter), "r" resize ("COLSxROWS"), "m" markers (here:
// where input was withheld). Output is recorded BEFORE it is sent to the browser, so a failed
// write ends the shell rather than letting anything through unrecorded.
import { StringDecoder } from 'node:string_decoder';
import { EchoFilter } from './echo-filter.js';
import type { RecordingSink } from './store.js';

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
  // Terminal output is bytes; asciicast wants text. A streaming decoder keeps a multi-byte
  // character split across chunks intact, so the text replays to the same bytes.
  private readonly outDecoder = new StringDecoder('utf8');
  private readonly inDecoder = new StringDecoder('utf8');
  private readonly filter: EchoFilter;
  private failure: Error | null = null;
  private writes: Promise<void> = Promise.resolve();
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
      JSON.stringify({
        version: 2,
        width: this.header.width,
        height: this.header.height,
        timestamp: Math.floor(this.started / 1000),
        command: this.header.command,
        title: this.header.title,
        env: { TERM: 'xterm-256color' },
      }),
    );
  }

  /** Events must not go back in time; a keystroke confirmed late is stamped no earlier than the last event. */
  private event(at: number, code: 'o' | 'i' | 'r' | 'm', data: string): Promise<void> {
    const t = Math.max(this.lastT, (at - this.started) / 1000);
    this.lastT = t;
    return this.line(JSON.stringify([Number(t.toFixed(6)), code, data]));
  }

  private line(text: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const write = this.writes.then(() => this.sink.write(text));
    this.writes = write.catch((err: Error) => {
      if (!this.failure) {
        this.failure = err;
        this.onFailure(err);
      }
    });
    return write;
  }

  /** Resolves once the chunk is stored; only then may it be shown. */
  output(chunk: Buffer): Promise<void> {
    this.bytesOut += chunk.length;
    const text = this.outDecoder.write(chunk);
    this.filter.output(text);
    return text ? this.event(this.now(), 'o', text) : Promise.resolve();
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
    const rest = this.outDecoder.end();
    if (rest) await this.event(this.now(), 'o', rest).catch(() => {});
    await this.writes;
    await this.sink.close();
  }
}
