import { execFile } from 'node:child_process';
import { EngineError } from '../errors.js';

/**
 * The OCI runtime's command line (runc, or crun which takes the same commands and flags).
 * Every call passes `--root` so the runtime keeps its state under berthd's own directory.
 */

export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface OciState {
  id: string;
  pid: number;
  status: OciStatus;
  bundle: string;
  created?: string;
}

/** A failed runtime command; `message` is the runtime's own error text. */
export class OciRuntimeError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = 'OciRuntimeError';
  }

  get notFound(): boolean {
    return /does not exist|not found|no such file/i.test(this.message);
  }

  get notRunning(): boolean {
    return /not running|is stopped|has stopped|already stopped/i.test(this.message);
  }
}

export class OciRuntimeCli {
  constructor(
    readonly path: string,
    /** The runtime's state root (`--root`). */
    readonly root: string,
  ) {}

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await this.run(all ? ['kill', '--all', id, signal] : ['kill', id, signal]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** Remove the runtime's record; `force` also kills a live container first. Missing is fine. */
  async delete(id: string, force: boolean): Promise<void> {
    try {
      await this.run(force ? ['delete', '--force', id] : ['delete', id]);
    } catch (err) {
      if (err instanceof OciRuntimeError && err.notFound) return;
      throw err;
    }
  }

  /** The runtime's view of a container, or undefined when it has no record of it. */
  async state(id: string): Promise<OciState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as OciState;
    } catch (err) {
      if (err instanceof OciRuntimeError && err.notFound) return undefined;
      throw err;
    }
  }

  async ps(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id]);
    const pids = JSON.parse(out) as number[] | null;
    return pids ?? [];
  }

  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.path, ['--root', this.root, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new EngineError('RUNTIME', `OCI runtime ${this.path} not found`));
          return;
        }
        reject(new OciRuntimeError(args[0] ?? '', runtimeMessage(stderr) || err.message));
      });
    });
  }
}

/**
 * runc logs errors as logfmt lines (`time=… level=error msg="…"`); crun prints plain text.
 * Return the error messages only, unquoted.
 */
export function runtimeMessage(stderr: string): string {
  const messages: string[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.trim()) continue;
    const m = /\blevel=(\w+)\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      if (m[1] === 'error' || m[1] === 'fatal') messages.push(unquote(m[2] ?? ''));
    } else {
      messages.push(line.trim());
    }
  }
  return messages.join('\n');
}

function unquote(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}
