// A terminal-side client of the shell WebSocket, as the browser would be: binary frames are
// terminal bytes, text frames are JSON control messages.
import { StringDecoder } from 'node:string_decoder';
import WebSocket from 'ws';

export class ShellClient {
  readonly chunks: Buffer[] = [];
  readonly controls: { type: string; [k: string]: unknown }[] = [];
  pings = 0;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly decoder = new StringDecoder('utf8');
  /** Everything received so far as text (kept incrementally: outputs can be megabytes). */
  text = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.chunks.push(Buffer.from(data));
        this.text += this.decoder.write(data);
      } else this.controls.push(JSON.parse(data.toString()));
      this.notify();
    });
    ws.on('ping', () => {
      this.pings++;
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
  }

  static connect(
    baseUrl: string,
    query: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<ShellClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws/shell?${new URLSearchParams(query)}`;
    const ws = new WebSocket(url, { headers });
    const client = new ShellClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; received: ${JSON.stringify(this.text.slice(-500))} controls: ${JSON.stringify(this.controls)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for output matching `pattern` (which must not span more than 256 characters). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void> {
    // Only new text (plus an overlap) is searched each time: outputs can be megabytes.
    let from = 0;
    return this.until(
      () => {
        const hit = pattern.test(this.text.slice(Math.max(0, from - 256)));
        from = this.text.length;
        return hit;
      },
      timeoutMs,
      String(pattern),
    );
  }

  waitControl(type: string, timeoutMs?: number) {
    return this.until(() => this.controls.some((c) => c.type === type), timeoutMs, `${type} message`).then(
      () => this.controls.find((c) => c.type === type)!,
    );
  }

  waitClosed(timeoutMs?: number) {
    return this.until(() => this.closed !== null, timeoutMs, 'close').then(() => this.closed!);
  }

  /** Sends keystrokes one by one, as a terminal does. */
  async type(text: string, perKeyMs = 0): Promise<void> {
    for (const ch of text) {
      this.ws.send(Buffer.from(ch), { binary: true });
      if (perKeyMs) await new Promise((r) => setTimeout(r, perKeyMs));
    }
  }

  send(text: string): void {
    this.ws.send(Buffer.from(text), { binary: true });
  }

  resize(cols: number, rows: number): void {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }
}

/** Parses an asciicast v2 file. */
export function parseCast(text: string): { header: Record<string, unknown>; events: [number, string, string][] } {
  const [first, ...rest] = text.trim().split('\n');
  return { header: JSON.parse(first!), events: rest.map((l) => JSON.parse(l)) };
}
