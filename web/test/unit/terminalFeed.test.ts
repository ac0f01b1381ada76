import { describe, expect, it } from 'vitest';
import { type FeedTarget, TerminalFeed } from '@/lib/terminalFeed';

/**
 * A tiny terminal for the oracle: fixed rows + scrollback, CR, LF, TAB, wrapping at `cols`, and
 * one piece of state an escape sequence changes (SGR colour via ESC[…m or the C1 CSI, U+009B),
 * each cell keeping the colour it was written with. Enough to see whether skipping changed the
 * final screen, scrollback, cursor or attributes.
 */
class ModelTerminal {
  lines: string[][] = [[]];
  row = 0;
  col = 0;
  colour = '0';
  private pending = '';
  private readonly decoder = new TextDecoder();
  constructor(
    readonly rows: number,
    readonly scrollback: number,
    readonly cols = 80,
  ) {}
  write(bytes: Uint8Array) {
    const text = this.pending + this.decoder.decode(bytes, { stream: true });
    this.pending = '';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      const csi = ch === '\u009b' ? i + 1 : ch === '\u001b' && text[i + 1] === '[' ? i + 2 : -1;
      if (csi >= 0) {
        const final = /[@-~]/g;
        final.lastIndex = csi;
        const end = final.exec(text)?.index ?? -1;
        if (end < 0) {
          this.pending = text.slice(i);
          return;
        }
        if (text[end] === 'm') this.colour = text.slice(csi, end) || '0';
        i = end;
      } else if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.lf();
      else if (ch === '\t') this.col = Math.min(this.cols - 1, (Math.floor(this.col / 8) + 1) * 8);
      else {
        if (this.col >= this.cols) {
          this.col = 0;
          this.lf();
        }
        const line = this.lines[this.row] as string[];
        line[this.col++] = `${this.colourId()}:${ch}`;
      }
    }
  }
  /** Cells name their colour by number: a swallowed sequence can make the colour text huge. */
  private readonly colours = new Map<string, number>();
  private colourId(): number {
    const known = this.colours.get(this.colour);
    if (known !== undefined) return known;
    const id = this.colours.size;
    this.colours.set(this.colour, id);
    return id;
  }
  private lf() {
    this.row++;
    if (this.row >= this.lines.length) this.lines.push([]);
    while (this.lines.length > this.rows + this.scrollback) {
      this.lines.shift();
      this.row--;
    }
  }
  state() {
    return { lines: this.lines.map((l) => l.join('|')), row: this.row, col: this.col, colour: this.colour };
  }
}

/** A target that parses only when the test says so, like xterm between frames. */
function slowTarget(term: ModelTerminal) {
  const pending: Array<() => void> = [];
  // Paced writes (see FLOOD_FRAME_MS) run when the test drains, with time moving on a frame each.
  const timers: Array<() => void> = [];
  let time = 0;
  const clock = {
    now: () => time,
    later: (fn: () => void) => {
      timers.push(fn);
      return 0 as unknown as ReturnType<typeof setTimeout>;
    },
  };
  let maxInFlight = 0;
  let inFlight = 0;
  const target: FeedTarget = {
    write(data, done) {
      inFlight += data.length;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push(() => {
        term.write(data);
        inFlight -= data.length;
        done();
      });
    },
    linesKept: () => term.rows + term.scrollback,
  };
  return {
    target,
    /** Parses everything handed over so far (and whatever that lets the feed hand over next). */
    clock,
    drain() {
      while (pending.length || timers.length) {
        while (pending.length) pending.shift()?.();
        time += 16;
        timers.shift()?.();
      }
    },
    parseOne() {
      pending.shift()?.();
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const enc = new TextEncoder();

function feedInFrames(feed: TerminalFeed, text: string, frame = 16 << 10) {
  const bytes = enc.encode(text);
  for (let at = 0; at < bytes.length; at += frame) feed.push(bytes.subarray(at, at + frame));
}

function reference(text: string, rows: number, scrollback: number) {
  const t = new ModelTerminal(rows, scrollback);
  t.write(enc.encode(text));
  return t.state();
}

function floodLines(n: number, line = (i: number) => `${i} 0123456789abcdefghijklmnopqrstuvwxyz`) {
  let s = '';
  for (let i = 0; i < n; i++) s += `${line(i)}\r\n`;
  return s;
}

describe('TerminalFeed', () => {
  it('hands small output over unchanged, in order', () => {
    const term = new ModelTerminal(24, 100);
    const slow = slowTarget(term);
    const feed = new TerminalFeed(slow.target, slow.clock);
    const text = 'hello\r\n\u001b[31mred\u001b[0m\r\n$ ';
    feedInFrames(feed, text, 3);
    slow.drain();
    expect(term.state()).toEqual(reference(text, 24, 100));
    expect(feed.stats).toMatchObject({ written: enc.encode(text).length, skipped: 0, queued: 0 });
  });

  it('keeps at most about 256 KB in xterm at once and coalesces frames', () => {
    const term = new ModelTerminal(24, 100);
    const slow = slowTarget(term);
    const writes: number[] = [];
    const feed = new TerminalFeed(
      {
        write: (d, done) => {
          writes.push(d.length);
          slow.target.write(d, done);
        },
        linesKept: slow.target.linesKept,
      },
      slow.clock,
    );
    // Not plain (colour on every line), so nothing may be skipped: only paced.
    const text = floodLines(60_000, (i) => `\u001b[3${i % 8}m${i} coloured line of output`);
    feedInFrames(feed, text, 4096);
    expect(slow.maxInFlight).toBeLessThanOrEqual((256 << 10) + (64 << 10));
    expect(feed.stats.queued).toBeGreaterThan(0);
    slow.drain();
    expect(feed.stats.skipped).toBe(0);
    expect(Math.max(...writes)).toBeGreaterThan(4096); // frames were joined
    expect(term.state()).toEqual(reference(text, 24, 100));
  });

  it('skips plain lines of a flood that would scroll away, leaving exactly the same terminal', () => {
    const term = new ModelTerminal(48, 1000);
    const slow = slowTarget(term);
    const feed = new TerminalFeed(slow.target, slow.clock);
    const text = `$ cat big\r\n${floodLines(200_000)}\u001b[32mdone\u001b[0m\r\n$ `;
    feedInFrames(feed, text);
    slow.drain();
    expect(feed.stats.skipped).toBeGreaterThan(enc.encode(text).length / 2);
    expect(feed.stats.written + feed.stats.skipped).toBe(enc.encode(text).length);
    expect(term.state()).toEqual(reference(text, 48, 1000));
  });

  it('never skips across an open escape sequence or a C1 control', { timeout: 60_000 }, () => {
    for (const open of ['\u001b[3', '\u009b3']) {
      const term = new ModelTerminal(10, 50);
      const slow = slowTarget(term);
      const feed = new TerminalFeed(slow.target, slow.clock);
      // A control sequence opened after a megabyte of coloured (unskippable) output swallows the
      // digit-only lines after it until its final 'm': the colour it sets holds every one of
      // them, so none may be dropped, though they queue up while xterm is busy.
      const head = `${floodLines(40_000, (i) => `\u001b[0m${i} coloured`)}${open}`;
      const text = `${head}${floodLines(300_000, (i) => `${i % 10}`)}m${floodLines(20_000)}`;
      feedInFrames(feed, text);
      slow.drain();
      expect(term.state()).toEqual(reference(text, 10, 50));
      expect(term.colour.length).toBeGreaterThan(300_000);
      expect(feed.stats.skipped).toBeGreaterThan(0); // the plain lines around it still are
    }
  });

  it('keeps the cursor column right when the tail has no carriage return', () => {
    const term = new ModelTerminal(10, 50);
    const slow = slowTarget(term);
    const feed = new TerminalFeed(slow.target, slow.clock);
    // LF only: the column carries over from line to line, so nothing may be dropped.
    const text = `abc${'xyz\n'.repeat(300_000)}`;
    feedInFrames(feed, text);
    slow.drain();
    expect(feed.stats.skipped).toBe(0);
    expect(term.state()).toEqual(reference(text, 10, 50));
  });

  it('drops what is queued on clear', () => {
    const term = new ModelTerminal(10, 50);
    const slow = slowTarget(term);
    const feed = new TerminalFeed(slow.target, slow.clock);
    feedInFrames(
      feed,
      floodLines(100_000, (i) => `\u001b[0m${i}`),
    );
    feed.clear();
    expect(feed.stats.queued).toBe(0);
    slow.drain();
  });
});
