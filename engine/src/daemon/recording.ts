import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../log.js';

/**
 * Session recording (berthd --record-sessions DIR [--record-input]): every exec and attach
 * session berthd serves — a plain `docker exec` on the host as much as a console shell — is
 * written to DIR as an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/):
 * a JSON header line, then `[time, "o", text]` for output, `[time, "r", "WxH"]` for resizes,
 * `[time, "i", text]` for input only with --record-input (input carries passwords), and a
 * closing `[time, "m", "exit <code>"]` marker. Off unless configured.
 */

export interface RecordingConfig {
  dir: string;
  input: boolean;
}

export interface SessionInfo {
  kind: 'exec' | 'attach';
  containerId: string;
  containerName: string;
  execId?: string;
  command: string[];
  tty: boolean;
  user?: string;
  size?: { width: number; height: number };
}

export class SessionRecorder {
  constructor(
    private readonly config: RecordingConfig,
    private readonly log: Logger,
  ) {
    mkdirSync(config.dir, { recursive: true, mode: 0o700 });
  }

  open(info: SessionInfo): Recording {
    const started = new Date();
    const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const name = `${stamp}-${info.kind}-${info.containerId.slice(0, 12)}-${(info.execId ?? randomBytes(6).toString('hex')).slice(0, 12)}.cast`;
    const path = join(this.config.dir, name);
    const file = createWriteStream(path, { mode: 0o600 });
    file.on('error', (err) => this.log.warn({ err, path }, 'session recording failed'));
    const header = {
      version: 2,
      width: info.size?.width || 80,
      height: info.size?.height || 24,
      timestamp: Math.floor(started.getTime() / 1000),
      command: info.command.join(' '),
      title: `${info.kind} ${info.containerName}${info.user ? ` as ${info.user}` : ''}`,
      env: { TERM: 'xterm' },
    };
    file.write(`${JSON.stringify(header)}\n`);
    this.log.debug({ path, kind: info.kind, container: info.containerId }, 'recording session');
    return new Recording(file, path, info.tty, this.config.input);
  }
}

export class Recording {
  private readonly t0 = performance.now();
  private readonly out = new StringDecoder('utf8');
  private readonly err = new StringDecoder('utf8');
  private readonly in = new StringDecoder('utf8');
  private closed = false;

  constructor(
    private readonly file: WriteStream,
    readonly path: string,
    private readonly tty: boolean,
    private readonly withInput: boolean,
  ) {}

  output(data: Buffer, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const text = (stream === 'stderr' ? this.err : this.out).write(data);
    // Without a TTY nothing turned "\n" into "\r\n" (onlcr); a player is a terminal and needs it.
    if (text) this.event('o', this.tty ? text : text.replace(/\r?\n/g, '\r\n'));
  }

  input(data: Buffer): void {
    if (!this.withInput) return;
    const text = this.in.write(data);
    if (text) this.event('i', text);
  }

  resize(size: { width: number; height: number }): void {
    if (size.width > 0 && size.height > 0) this.event('r', `${size.width}x${size.height}`);
  }

  close(exitCode?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const rest = this.out.end() + this.err.end();
    if (rest) this.event('o', rest);
    if (exitCode !== undefined) this.event('m', `exit ${exitCode}`);
    this.closed = true;
    return new Promise((resolve) => this.file.end(resolve));
  }

  private event(code: 'o' | 'i' | 'r' | 'm', data: string): void {
    if (this.closed) return;
    const t = Math.round((performance.now() - this.t0) * 1000) / 1e6;
    this.file.write(`${JSON.stringify([t, code, data])}\n`);
  }
}
