// Feeds shell output to xterm with flow control, and skips what a flood would scroll away unseen.
//
// xterm parses in 12 ms slices between frames and throws away everything once 50 MB are queued
// ("use flow control"), while a WebSocket cannot be paused from the browser: so the bytes wait
// here, and xterm gets a bounded amount at a time, in large writes, the next when it has parsed
// the last (its write callback).
//
// A flood (`cat` of a big file) arrives far faster than any terminal can parse it. Lines that
// are followed by more lines than the terminal keeps (rows + scrollback) are never seen: they
// scroll out before the next frame could show them. When the queue holds such lines and they are
// plain text — printable characters, CR, LF, TAB, nothing that can change the terminal's state
// — and the parser is at rest where they start (a small VT500-style state machine follows the
// written bytes), they are dropped unparsed. The screen, scrollback, cursor and attributes end up exactly as if
// every byte had been parsed; the recording (written by the gateway) still has every byte.
// No library does this for xterm; hand-written, and tested in test/unit/terminalFeed.test.ts.

export type FeedTarget = {
  write(data: Uint8Array, done: () => void): void;
  /** Lines the terminal holds: rows + scrollback. */
  linesKept(): number;
};

export type FeedStats = { written: number; skipped: number; queued: number };

// Bytes handed to xterm and not yet parsed: enough that xterm never waits on us between its
// slices, far from its 50 MB discard mark.
const IN_FLIGHT_MAX = 256 << 10;
// One write: coalesced WebSocket frames, so xterm's per-write overhead is paid rarely.
const WRITE_MAX = 64 << 10;
// Skipping is considered once this much is waiting (a flood, not a screenful).
const SKIP_MIN_QUEUED = 128 << 10;
// Lines beyond rows + scrollback that must still follow a cut.
const LINE_MARGIN = 16;
// A flood (more than FLOOD_BYTES in FLOOD_WINDOW_MS): xterm gets one write per FLOOD_FRAME_MS.
// Drawing every frame of a flood is what starves the main thread (WebGL under software
// rendering worst of all), and with it the WebSocket that sets the pace of the whole pipeline;
// what is not written meanwhile is mostly skipped, and the rest written once the flood ends.
const FLOOD_BYTES = 256 << 10;
const FLOOD_WINDOW_MS = 100;
const FLOOD_FRAME_MS = 100;

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;

/** Bytes that cannot change terminal state beyond writing text: printable ASCII, CR, LF, TAB,
 *  and UTF-8 sequences other than the C1 controls (U+0080–U+009F, encoded C2 80–C2 9F). */
function plainLength(buf: Uint8Array, from: number, prev: number): number {
  let i = from;
  let last = prev;
  for (; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b < 0x20) {
      if (b !== LF && b !== CR && b !== TAB) break;
    } else if (b === 0x7f) break;
    else if (b >= 0x80 && b <= 0x9f && last === 0xc2) break;
    last = b;
  }
  return i - from;
}

/** Where xterm's parser is (the VT500 states that matter here): text, after ESC, inside a
 *  control sequence, or inside a string (OSC, DCS, SOS, PM, APC) that swallows text. */
type ParserState = 'ground' | 'esc' | 'csi' | 'string';

function advance(state: ParserState, buf: Uint8Array, from: number, to: number, prev: number): ParserState {
  let st = state;
  let last = prev;
  for (let i = from; i < to; i++) {
    const b = buf[i] as number;
    if (b === 0x18 || b === 0x1a) st = 'ground';
    else if (b === 0x1b) st = 'esc';
    else if (last === 0xc2 && b >= 0x80 && b <= 0x9f) {
      // C1 controls, UTF-8 encoded.
      if (b === 0x9b) st = 'csi';
      else if (b === 0x90 || b === 0x9d || b === 0x98 || b === 0x9e || b === 0x9f) st = 'string';
      else if (b === 0x9c) st = 'ground';
    } else if (st === 'esc') {
      if (b === 0x5b) st = 'csi';
      else if (b === 0x5d || b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) st = 'string';
      else if (b >= 0x30 && b <= 0x7e) st = 'ground';
    } else if (st === 'csi') {
      if (b >= 0x40 && b <= 0x7e) st = 'ground';
    } else if (st === 'string') {
      if (b === 0x07) st = 'ground';
    }
    last = b;
  }
  return st;
}

export class TerminalFeed {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private inFlight = 0;
  /** The parser's state after everything handed to xterm. */
  private parser: ParserState = 'ground';
  private lastByte = 0;
  readonly stats: FeedStats = { written: 0, skipped: 0, queued: 0 };

  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowBytes = 0;
  /** Queue size after the last look for lines to skip. */
  private skipFloor = 0;
  private readonly now: () => number;
  private readonly later: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;

  constructor(
    private readonly target: FeedTarget,
    clock: { now?: () => number; later?: (fn: () => void, ms: number) => ReturnType<typeof setTimeout> } = {},
  ) {
    this.now = clock.now ?? (() => performance.now());
    this.later = clock.later ?? ((fn, ms) => setTimeout(fn, ms));
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    const now = this.now();
    if (now - this.windowStart > FLOOD_WINDOW_MS) {
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += bytes.length;
    this.stats.queued = this.queued;
    this.pump();
  }

  /** Drops everything not yet written (the terminal was reset or the session replaced). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.queued = 0;
    this.skipFloor = 0;
    this.stats.queued = 0;
    this.parser = 'ground';
    this.lastByte = 0;
  }

  private pump(): void {
    if (this.timer) return; // a paced write is due
    while (this.inFlight < IN_FLIGHT_MAX && this.queued > 0) {
      // Looked at again only once another SKIP_MIN_QUEUED has arrived: a scan costs about the
      // size of the queue.
      if (this.queued >= this.skipFloor + SKIP_MIN_QUEUED) {
        this.skipUnseen();
        this.skipFloor = this.queued;
      }
      const now = this.now();
      const flooding = this.windowBytes >= FLOOD_BYTES && now - this.windowStart <= 2 * FLOOD_WINDOW_MS;
      if (flooding && now - this.lastWrite < FLOOD_FRAME_MS) {
        this.timer = this.later(
          () => {
            this.timer = null;
            this.pump();
          },
          FLOOD_FRAME_MS - (now - this.lastWrite),
        );
        return;
      }
      const data = this.take(WRITE_MAX);
      this.note(data);
      this.lastWrite = now;
      this.inFlight += data.length;
      this.stats.written += data.length;
      this.target.write(data, () => {
        this.inFlight -= data.length;
        this.pump();
      });
    }
  }

  /** Up to `max` bytes off the front of the queue, as one array. */
  private take(max: number): Uint8Array {
    // What blocked a skip may be what xterm is being given now: look again after every
    // SKIP_MIN_QUEUED written too, not only after as much has arrived.
    this.skipFloor = Math.max(0, this.skipFloor - 2 * max);
    const first = this.queue[0] as Uint8Array;
    if (first.length >= max || this.queue.length === 1) {
      const data = first.length > max ? first.subarray(0, max) : first;
      if (first.length > max) this.queue[0] = first.subarray(max);
      else this.queue.shift();
      this.queued -= data.length;
      this.stats.queued = this.queued;
      return data;
    }
    let size = 0;
    let n = 0;
    while (n < this.queue.length && size + (this.queue[n] as Uint8Array).length <= max) {
      size += (this.queue[n] as Uint8Array).length;
      n++;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of this.queue.splice(0, n)) {
      out.set(part, at);
      at += part.length;
    }
    this.queued -= size;
    this.stats.queued = this.queued;
    return out;
  }

  /** Follows the parser over what is handed to xterm. */
  private note(data: Uint8Array): void {
    if (data.length === 0) return;
    this.parser = advance(this.parser, data, 0, data.length, this.lastByte);
    this.lastByte = data[data.length - 1] as number;
  }

  /**
   * Drops queued plain lines that more than `linesKept` lines follow. The parser must be at rest
   * where the dropped part starts, and it starts and ends right after a LF (so no UTF-8 sequence
   * is split). A CR must follow it, so the cursor column afterwards depends on kept bytes only.
   */
  private skipUnseen(): number {
    const all = this.queue.length === 1 ? (this.queue[0] as Uint8Array) : this.flatten();
    const need = this.target.linesKept() + LINE_MARGIN;
    // From the end back to the LF that has `need` LFs from it on: everything before it scrolls
    // out of the terminal whatever it is.
    let lfs = 0;
    let crAfter = false;
    let limit = -1;
    for (let i = all.length - 1; i >= 0; i--) {
      const b = all[i];
      if (b === CR) crAfter = true;
      else if (b === LF && ++lfs === need) {
        limit = i;
        break;
      }
    }
    if (limit <= 0 || !crAfter) return 0;
    // Only plain bytes are dropped: the plain run from the front of the queue.
    const plainEnd = Math.min(plainLength(all, 0, this.lastByte), limit);
    let cut = plainEnd;
    while (cut > 0 && all[cut - 1] !== LF) cut--;
    // Where dropping may start: at the start of a line, with the parser at rest there.
    let from = 0;
    if (this.lastByte !== LF) {
      while (from < cut && all[from] !== LF) from++;
      from++;
    }
    if (from >= cut || advance(this.parser, all, 0, from, this.lastByte) !== 'ground') return 0;
    const rest = new Uint8Array(all.length - (cut - from));
    rest.set(all.subarray(0, from), 0);
    rest.set(all.subarray(cut), from);
    this.stats.skipped += cut - from;
    this.queue = [rest];
    this.queued = rest.length;
    this.stats.queued = this.queued;
    return cut - from;
  }

  private flatten(): Uint8Array {
    const out = new Uint8Array(this.queued);
    let at = 0;
    for (const part of this.queue) {
      out.set(part, at);
      at += part.length;
    }
    this.queue = [out];
    return out;
  }
}
