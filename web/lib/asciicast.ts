// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line, then one
// JSON array per event: [seconds, code, data]. Parsed here by hand because the format is three
// lines of spec and asciinema-player would bring its own terminal emulator next to xterm.

export type CastHeader = {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  title?: string;
  env?: Record<string, string>;
};
export type CastEvent = { t: number; code: string; data: string };
export type Cast = { header: CastHeader; events: CastEvent[]; duration: number };

export function parseCast(text: string): Cast {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && !lines[i]?.trim()) i++;
  const first = lines[i];
  if (first === undefined) throw new Error('empty recording');
  let header: CastHeader;
  try {
    header = JSON.parse(first) as CastHeader;
  } catch {
    throw new Error('recording header is not JSON');
  }
  if (header.version !== 2) throw new Error(`unsupported asciicast version ${String(header.version)}`);
  const events: CastEvent[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      // A recording cut off mid-write (gateway crash) ends in a partial line; keep what came before.
      break;
    }
    if (!Array.isArray(ev) || typeof ev[0] !== 'number' || typeof ev[1] !== 'string') continue;
    events.push({ t: ev[0], code: ev[1], data: typeof ev[2] === 'string' ? ev[2] : String(ev[2] ?? '') });
  }
  // Events must be non-decreasing in time for the binary search; tolerate clock skew by clamping.
  for (let k = 1; k < events.length; k++) {
    const prev = events[k - 1]!;
    if (events[k]!.t < prev.t) events[k]!.t = prev.t;
  }
  return { header, events, duration: events.length ? events[events.length - 1]!.t : 0 };
}

/** Number of events whose time is <= t (so events[0..n) are due at time t). */
export function eventsDue(events: readonly CastEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Terminal output of events[from..to), joined so a seek writes to the terminal once. */
export function outputBetween(events: readonly CastEvent[], from: number, to: number): string {
  let out = '';
  for (let k = from; k < to; k++) {
    const ev = events[k]!;
    if (ev.code === 'o') out += ev.data;
  }
  return out;
}

/** The last resize ("COLSxROWS") at or before event index n, else the header size. */
export function sizeAt(cast: Cast, n: number): { cols: number; rows: number } {
  for (let k = Math.min(n, cast.events.length) - 1; k >= 0; k--) {
    const ev = cast.events[k]!;
    if (ev.code === 'r') {
      const m = /^(\d+)x(\d+)$/.exec(ev.data);
      if (m) return { cols: Number(m[1]), rows: Number(m[2]) };
    }
  }
  return { cols: cast.header.width, rows: cast.header.height };
}

/** Plain text of a recording with escape sequences stripped — for search and tests. */
// CSI sequences, OSC sequences (BEL-terminated) and carriage returns.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\r/g;

export function castText(cast: Cast): string {
  return outputBetween(cast.events, 0, cast.events.length).replace(ESCAPES, '');
}

/**
 * Playback position as a pure function of wall time, so pause/seek/speed changes are just new
 * anchors: position = anchorPos + (now - anchorWall) * speed, clamped to the duration.
 */
export class ReplayClock {
  private anchorPos = 0;
  private anchorWall = 0;
  playing = false;
  speed = 1;

  constructor(
    readonly duration: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  position(): number {
    if (!this.playing) return this.anchorPos;
    const p = this.anchorPos + ((this.now() - this.anchorWall) / 1000) * this.speed;
    return Math.min(p, this.duration);
  }

  play() {
    if (this.playing) return;
    if (this.anchorPos >= this.duration) this.anchorPos = 0; // replay from the start once finished
    this.anchorWall = this.now();
    this.playing = true;
  }

  pause() {
    this.anchorPos = this.position();
    this.playing = false;
  }

  seek(pos: number) {
    this.anchorPos = Math.max(0, Math.min(pos, this.duration));
    this.anchorWall = this.now();
  }

  setSpeed(speed: number) {
    this.anchorPos = this.position();
    this.anchorWall = this.now();
    this.speed = speed;
  }

  finished(): boolean {
    return this.position() >= this.duration;
  }
}
