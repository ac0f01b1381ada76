// The browser side of the gateway's shell WebSocket (gateway/CONTRACT.md): binary frames carry
// terminal bytes both ways, text frames carry JSON control messages. A dropped connection is
// re-established with a fresh one-time ticket for the same session while the gateway's grace
// period lasts. Independent of React and xterm so it is tested against a real ws server.

export type ShellState = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'closed' | 'failed';

export type ServerControl =
  | { type: 'ready'; sessionId: string; recorded: boolean }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string };

export type ShellEvents = {
  output: (bytes: Uint8Array) => void;
  state: (state: ShellState, detail?: string) => void;
  ready?: (info: { sessionId: string; recorded: boolean }) => void;
  exit?: (code: number) => void;
};

type WebSocketLike = {
  binaryType: string;
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | ArrayBufferLike | Uint8Array): void;
  close(code?: number, reason?: string): void;
};
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type ShellConnectionOptions = {
  /** Absolute ws(s):// URL of /ws/shell on the gateway. */
  baseUrl: string;
  /** Asks the gateway for a new ticket for an existing session (shells.reattach). */
  reattach: (sessionId: string) => Promise<{ ticket: string }>;
  WebSocketImpl?: WebSocketCtor;
  graceMs?: number;
  /** Delays between reconnect attempts; the last one repeats until the grace period ends. */
  backoffMs?: number[];
};

export function parseControl(text: string): ServerControl | null {
  try {
    const msg = JSON.parse(text) as { type?: unknown };
    if (msg && (msg.type === 'ready' || msg.type === 'exit' || msg.type === 'error')) return msg as ServerControl;
  } catch {
    // Not JSON: ignore rather than tear down an interactive session over one bad frame.
  }
  return null;
}

export function shellSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/shell`;
}

export class ShellConnection {
  private ws: WebSocketLike | null = null;
  private sessionId: string | null = null;
  private userClosed = false;
  private exited = false;
  private droppedAt = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pendingResize: { cols: number; rows: number } | null = null;
  private readonly encoder = new TextEncoder();
  state: ShellState = 'connecting';
  reconnects = 0;

  constructor(
    private readonly opts: ShellConnectionOptions,
    private readonly events: ShellEvents,
  ) {}

  start(ticket: string, sessionId: string) {
    this.sessionId = sessionId;
    this.open(new URLSearchParams({ ticket }));
  }

  send(data: string | Uint8Array) {
    if (this.ws?.readyState !== 1) return;
    this.ws.send(typeof data === 'string' ? this.encoder.encode(data) : data);
  }

  resize(cols: number, rows: number) {
    this.pendingResize = { cols, rows };
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /** Ends the session on purpose. A bare socket close reads as a dropped connection (the
   *  gateway keeps the shell for its grace period), so say so first. */
  close() {
    this.userClosed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify({ type: 'close' }));
    this.ws?.close(1000, 'closed by user');
    this.setState('closed');
  }

  private setState(state: ShellState, detail?: string) {
    this.state = state;
    this.events.state(state, detail);
  }

  private open(query: URLSearchParams) {
    // The size rides on the URL too, so the exec starts at the right size (no 80×24 first frame).
    if (this.pendingResize) {
      query.set('cols', String(this.pendingResize.cols));
      query.set('rows', String(this.pendingResize.rows));
    }
    const Impl = this.opts.WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketCtor);
    const ws = new Impl(`${this.opts.baseUrl}?${query.toString()}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      // The server learns the size of a fresh (or re-attached) socket only from us.
      if (this.pendingResize) ws.send(JSON.stringify({ type: 'resize', ...this.pendingResize }));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const msg = parseControl(ev.data);
        if (msg?.type === 'ready') this.events.ready?.({ sessionId: msg.sessionId, recorded: msg.recorded });
        else if (msg?.type === 'exit') {
          this.exited = true;
          this.events.exit?.(msg.code);
          this.setState('exited', `exit code ${msg.code}`);
        } else if (msg?.type === 'error') this.setState('failed', msg.message);
        return;
      }
      const data = ev.data;
      if (data instanceof ArrayBuffer) this.events.output(new Uint8Array(data));
      else if (ArrayBuffer.isView(data))
        this.events.output(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.userClosed || this.exited || this.state === 'failed') return;
      if (!this.sessionId) return this.setState('failed', 'connection closed');
      if (this.state !== 'reconnecting') {
        this.droppedAt = Date.now();
        this.setState('reconnecting');
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose always follows; reconnecting is decided there.
    };
  }

  private scheduleReconnect() {
    const grace = this.opts.graceMs ?? 30_000;
    const backoff = this.opts.backoffMs ?? [250, 1000, 2000, 4000];
    const delay = backoff[Math.min(this.attempt, backoff.length - 1)] ?? 1000;
    if (Date.now() + delay - this.droppedAt > grace) {
      this.setState('failed', 'connection lost and the session could not be resumed in time');
      return;
    }
    this.attempt++;
    this.timer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect() {
    if (this.userClosed || !this.sessionId) return;
    try {
      const { ticket } = await this.opts.reattach(this.sessionId);
      if (this.userClosed) return;
      this.reconnects++;
      this.open(new URLSearchParams({ session: this.sessionId, ticket }));
    } catch (err) {
      // A refused reattach (session gone, not yours) will not succeed later; a network error might.
      const code = (err as { data?: { code?: string } })?.data?.code;
      if (code && code !== 'INTERNAL_SERVER_ERROR' && code !== 'TIMEOUT') {
        this.setState('failed', (err as Error).message);
        return;
      }
      this.scheduleReconnect();
    }
  }
}
