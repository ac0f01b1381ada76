// A bounded log buffer for the live log view: keeps the newest `capacity` lines so a chatty
// container cannot grow the tab's memory without bound, and answers searches over what it holds.

export type LogLine = { seq: number; stream: 'stdout' | 'stderr' | string; line: string };

export class LogBuffer {
  private lines: LogLine[] = [];
  private seq = 0;
  dropped = 0;

  constructor(readonly capacity = 20_000) {}

  append(stream: string, line: string) {
    this.lines.push({ seq: this.seq++, stream, line });
    // Trim in chunks: splicing one line per append would make each append O(n).
    if (this.lines.length > this.capacity * 1.1) {
      const extra = this.lines.length - this.capacity;
      this.lines.splice(0, extra);
      this.dropped += extra;
    }
  }

  clear() {
    this.dropped += this.lines.length;
    this.lines = [];
  }

  get size(): number {
    return Math.min(this.lines.length, this.capacity);
  }

  /** Total lines ever appended — a cheap change counter for renders. */
  get total(): number {
    return this.seq;
  }

  all(): LogLine[] {
    return this.lines.length > this.capacity ? this.lines.slice(-this.capacity) : this.lines;
  }

  /** Newest `limit` lines matching `query` (case-insensitive substring), oldest first; with
   *  `before`, only lines appended before that total (a paused view stays put). */
  view(query: string, limit: number, before = Number.POSITIVE_INFINITY): { lines: LogLine[]; matched: number } {
    let all = this.all();
    if (before < this.seq) all = all.filter((l) => l.seq < before);
    const q = query.trim().toLowerCase();
    if (!q) return { lines: all.slice(-limit), matched: all.length };
    const hits = all.filter((l) => l.line.toLowerCase().includes(q));
    return { lines: hits.slice(-limit), matched: hits.length };
  }

  text(): string {
    return this.all()
      .map((l) => l.line)
      .join('\n');
  }
}

/** Splits `text` around case-insensitive matches of `query` for highlighting. */
export function splitMatches(text: string, query: string): Array<{ text: string; hit: boolean }> {
  const q = query.trim().toLowerCase();
  if (!q) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const parts: Array<{ text: string; hit: boolean }> = [];
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, i + q.length)) {
    if (i > at) parts.push({ text: text.slice(at, i), hit: false });
    parts.push({ text: text.slice(i, i + q.length), hit: true });
    at = i + q.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}
