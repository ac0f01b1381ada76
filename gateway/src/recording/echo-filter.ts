// Decides which keystrokes may be kept in a recording. Input typed while the terminal's echo is
// off (passwords) must not be kept, but the Docker API cannot read the container TTY's termios.
// Heuristic, erring towards not keeping input:
//  1. A keystroke with printable characters is kept only if the output that follows it
//     (escape sequences and control characters ignored) contains those characters followed by
//     the rest of what has been typed since, as far as either goes — the terminal echoing the
//     typing (possibly after a prompt that was already on its way) — where the echo starts in
//     output that arrived within `startMs` of the keystroke and is complete within `windowMs`.
//     Otherwise it is dropped and echo is assumed off. (Without the start limit, and without
//     matching the whole run of pending keystrokes, a password letter would be "confirmed" by
//     the same letter echoed in the next command typed.)
//     Output unrelated to typing that happens to end in the typed characters right after a
//     keystroke can still fool rule 1; rule 3 covers the common password prompts regardless.
//  2. Control-only input (Enter, arrows, Ctrl-C, Tab) carries no secret; it is kept while echo
//     is believed on and dropped while it is believed off.
//  3. After a prompt that looks like it asks for a secret ("Password:", "passphrase", "PIN",
//     "token" at the end of the last output line), everything up to the next Enter is dropped,
//     echoed or not.
// Consequences: full-screen programs (vim, less), which redraw rather than echo, mostly lose
// their keystrokes from the recording (their screen output is kept); an echo slower than the
// window loses the keystroke too. Output is never filtered.

export interface InputEvent {
  t: number;
  data: string;
}

export interface EchoFilterOptions {
  /** The echo must be complete within this long after the keystroke (default 1000 ms). */
  windowMs?: number;
  /** ...and must begin in output that arrived within this long (default 300 ms). */
  startMs?: number;
  /** Called with each keystroke that may be kept, in order. */
  keep(event: InputEvent): void;
  /** Called when a keystroke is dropped (for a marker in the recording). */
  drop?(event: { t: number; bytes: number }): void;
  now?: () => number;
}

// CSI/SS3/OSC escape sequences, then C0 controls and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences are the point
const ESCAPES = /\u001b(\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(\u0007|\u001b\\)|[PX^_][^\u001b]*\u001b\\|O.|.)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences are the point
const CONTROLS = /[\u0000-\u001f\u007f]/g;
const SECRET_PROMPT = /(pass(word|phrase)?|passcode|\bpin\b|secret|token|otp|verification code)[^\n]*[:>?]\s*$/i;

export function printable(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}

interface Pending extends InputEvent {
  expect: string;
  /** Printable output since this keystroke (bounded). */
  seen: string;
  /** How much of `seen` arrived within startMs (null: all of it so far); an echo must begin there. */
  startLimit: number | null;
  deadline: number;
  timer: NodeJS.Timeout | undefined;
}

const SEEN_MAX = 4096;
const MATCH_MAX = 256;

/**
 * Whether, from some position before `maxStart` on, `seen` reads as the echo of `typed`:
 * 'full' when all of `typed` is there; 'partial' when the output so far matches the start of
 * `typed` (at least the head keystroke) up to its very end, so later output may still confirm or
 * contradict it; 'none' otherwise.
 */
export function echoedIn(
  seen: string,
  typed: string,
  headLength = 1,
  maxStart = Number.POSITIVE_INFINITY,
): 'full' | 'partial' | 'none' {
  let partial = false;
  for (let p = 0; p <= seen.length - headLength && p < maxStart; p++) {
    const n = Math.min(seen.length - p, typed.length);
    if (n < headLength || !seen.startsWith(typed.slice(0, n), p)) continue;
    if (n === typed.length) return 'full';
    partial = true;
  }
  return partial ? 'partial' : 'none';
}

export class EchoFilter {
  private readonly windowMs: number;
  private readonly startMs: number;
  private readonly pending: Pending[] = [];
  private echo: 'on' | 'off' | 'unknown' = 'unknown';
  private lastLine = '';
  private secretLine = false;

  private readonly now: () => number;

  constructor(private readonly opts: EchoFilterOptions) {
    this.windowMs = opts.windowMs ?? 1000;
    this.startMs = Math.min(opts.startMs ?? 300, this.windowMs);
    this.now = opts.now ?? Date.now;
  }

  input(data: string, t: number): void {
    if (this.secretLine) {
      this.dropNow(data, t);
      if (/[\r\n]/.test(data)) this.secretLine = false;
      return;
    }
    if (SECRET_PROMPT.test(this.lastLine)) {
      // The prompt asks for a secret: drop this line of input whatever the echo does.
      this.secretLine = !/[\r\n]/.test(data);
      this.dropNow(data, t);
      return;
    }
    const expect = printable(data);
    if (!expect && !this.pending.length) {
      if (this.echo === 'off') this.dropNow(data, t);
      else this.opts.keep({ t, data });
      return;
    }
    // Control keys typed behind an unconfirmed keystroke wait their turn, to keep the order.
    const entry: Pending = {
      t,
      data,
      expect,
      seen: '',
      startLimit: null,
      deadline: t + this.windowMs,
      timer: undefined,
    };
    if (expect) {
      entry.timer = setTimeout(() => this.settle(entry.deadline), this.windowMs);
      entry.timer.unref?.();
    }
    this.pending.push(entry);
  }

  /** Keystrokes wait for their echo: output() needs all the output, not only its last line. */
  get awaitingEcho(): boolean {
    return this.pending.length > 0;
  }

  output(data: string): void {
    const lastNl = Math.max(data.lastIndexOf('\n'), data.lastIndexOf('\r'));
    this.lastLine = (lastNl >= 0 ? data.slice(lastNl + 1) : this.lastLine + data).slice(-200);
    const text = printable(data);
    const now = this.now();
    for (const p of this.pending) {
      if (!p.expect || !text) continue;
      if (p.startLimit === null && now - p.t > this.startMs) p.startLimit = p.seen.length;
      p.seen += text.slice(0, Math.max(0, SEEN_MAX - p.seen.length));
    }
    this.settle(now);
  }

  /** Resolves pending keystrokes in order, as far as the output so far allows. */
  private settle(now: number): void {
    while (this.pending.length) {
      const head = this.pending[0]!;
      if (!head.expect) {
        this.pending.shift();
        if (this.echo === 'off') this.dropNow(head.data, head.t);
        else this.opts.keep({ t: head.t, data: head.data });
        continue;
      }
      const match = echoedIn(
        head.seen,
        this.typedFrom(0),
        head.expect.length,
        head.startLimit ?? Number.POSITIVE_INFINITY,
      );
      // A partial match (typing ahead of the echo) waits for more output, or the deadline.
      if (match !== 'full' && now < head.deadline) return;
      const echoed = match !== 'none';
      this.pending.shift();
      clearTimeout(head.timer);
      this.echo = echoed ? 'on' : 'off';
      if (echoed) this.opts.keep({ t: head.t, data: head.data });
      else this.dropNow(head.data, head.t);
    }
  }

  /**
   * The printable text typed from pending entry `i` up to the next control key (Enter, Tab,
   * Ctrl-C…, after which the program prints other things): what the echo should show, in one run.
   */
  private typedFrom(i: number): string {
    let typed = '';
    for (let j = i; j < this.pending.length && typed.length < MATCH_MAX; j++) {
      const entry = this.pending[j]!;
      if (!entry.expect) break;
      typed += entry.expect;
      if (/[\r\n\t]/.test(entry.data)) break;
    }
    return typed.slice(0, MATCH_MAX);
  }

  private dropNow(data: string, t: number): void {
    this.opts.drop?.({ t, bytes: Buffer.byteLength(data) });
  }

  /** Ends the filter: what was echoed by now is kept, the rest dropped. */
  close(): void {
    this.settle(Number.POSITIVE_INFINITY);
  }
}
