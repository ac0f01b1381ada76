// Decides which keystrokes may be kept in a recording. Input typed while the terminal's echo is
// off (passwords) must not be kept, but the Docker API cannot read the container TTY's termios.
// Heuristic, erring towards not keeping input:
//  1. A keystroke with printable characters is kept only if the very next output (ignoring
//     escape sequences and control characters) starts with those characters within `windowMs`
//     — the terminal echoing them. Otherwise it is dropped and echo is assumed off.
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
  windowMs?: number;
  /** Called with each keystroke that may be kept, in order. */
  keep(event: InputEvent): void;
  /** Called when a keystroke is dropped (for a marker in the recording). */
  drop?(event: { t: number; bytes: number }): void;
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
  seen: string;
  timer: NodeJS.Timeout;
}

export class EchoFilter {
  private readonly windowMs: number;
  private readonly pending: Pending[] = [];
  private echo: 'on' | 'off' | 'unknown' = 'unknown';
  private lastLine = '';
  private secretLine = false;

  constructor(private readonly opts: EchoFilterOptions) {
    this.windowMs = opts.windowMs ?? 1000;
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
    if (!expect) {
      if (this.pending.length) this.queueControl(data, t);
      else if (this.echo === 'off') this.dropNow(data, t);
      else this.opts.keep({ t, data });
      return;
    }
    const entry: Pending = {
      t,
      data,
      expect,
      seen: '',
      timer: setTimeout(() => this.expire(entry), this.windowMs),
    };
    entry.timer.unref?.();
    this.pending.push(entry);
  }

  /** Control input typed behind a pending keystroke waits its turn, to keep order. */
  private queueControl(data: string, t: number): void {
    const entry: Pending = { t, data, expect: '', seen: '', timer: setTimeout(() => {}, 0) };
    clearTimeout(entry.timer);
    this.pending.push(entry);
  }

  output(data: string): void {
    const lastNl = Math.max(data.lastIndexOf('\n'), data.lastIndexOf('\r'));
    this.lastLine = (lastNl >= 0 ? data.slice(lastNl + 1) : this.lastLine + data).slice(-200);
    let text = printable(data);
    while (this.pending.length) {
      const head = this.pending[0]!;
      if (!head.expect) {
        // A queued control key: resolved by whatever the keystroke before it resolved to.
        this.pending.shift();
        if (this.echo === 'off') this.dropNow(head.data, head.t);
        else this.opts.keep({ t: head.t, data: head.data });
        continue;
      }
      head.seen += text;
      text = '';
      if (head.seen.length < head.expect.length) {
        if (!head.expect.startsWith(head.seen)) this.resolve(head, false);
        return;
      }
      const echoed = head.seen.startsWith(head.expect);
      text = echoed ? head.seen.slice(head.expect.length) : '';
      this.resolve(head, echoed);
    }
  }

  private resolve(entry: Pending, echoed: boolean): void {
    clearTimeout(entry.timer);
    const i = this.pending.indexOf(entry);
    if (i >= 0) this.pending.splice(i, 1);
    this.echo = echoed ? 'on' : 'off';
    if (echoed) this.opts.keep({ t: entry.t, data: entry.data });
    else this.dropNow(entry.data, entry.t);
  }

  private expire(entry: Pending): void {
    // Everything queued before it was resolved already (FIFO), so it is the head.
    this.resolve(entry, false);
    this.output('');
  }

  private dropNow(data: string, t: number): void {
    this.opts.drop?.({ t, bytes: Buffer.byteLength(data) });
  }

  /** Ends the filter: anything still unconfirmed is dropped. */
  close(): void {
    for (const p of [...this.pending]) this.resolve(p, false);
  }
}
