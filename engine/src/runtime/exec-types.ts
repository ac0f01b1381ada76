import type { Readable, Writable } from 'node:stream';

/**
 * The OCI process (config.json's `process`) an exec runs, as the daemon builds it from the
 * container's own process. Only the fields the runtime looks at are typed; the rest is passed to
 * the OCI runtime as is.
 */
export interface ExecProcessSpec {
  terminal?: boolean;
  /** Initial terminal size; runc sets it on the pty before the process starts. */
  consoleSize?: { height: number; width: number };
  args: string[];
  [field: string]: unknown;
}

export interface ExecOptions {
  /** Names the exec's state directory; the daemon's exec id. Same alphabet as task ids. */
  execId: string;
  process: ExecProcessSpec;
  /** Give the process a stdin the caller writes to (docker exec -i). */
  stdin: boolean;
  /** Nobody attaches (docker exec -d): output is discarded and the process outlives berthd. */
  detach: boolean;
}

/** A started exec process. */
export interface ExecProcess {
  /** Host pid of the process. */
  readonly pid: number;
  /**
   * objectMode Readable of OutputFrame (TTY output is all 'stdout'); ends once the process and
   * everything holding its stdio are gone. Null for detached execs.
   */
  readonly output: Readable | null;
  /** end() delivers EOF to the process. Null unless started with stdin. */
  readonly stdin: Writable | null;
  /** Resolves with the exit code (128+n when killed by signal n). */
  readonly exited: Promise<number>;
  resize(size: { height: number; width: number }): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /**
   * The client is gone: stdin is closed; a TTY process gets SIGHUP (as a terminal hangup does)
   * and its further output is discarded; without a TTY the output pipe is closed, so the process
   * gets SIGPIPE on its next write (as a pipeline's writer does when its reader exits).
   */
  hangup(): void;
  /** Stop streaming (docker's detach keys) and leave the process running; output is discarded. */
  detach(): void;
}

/** Why an exec did not start: the OCI runtime's message and Docker's exit code (126/127). */
export class ExecStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ExecStartError';
  }
}

/** Docker's exit codes for a process that could not be started (moby daemon/exec.go). */
export function startFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  return 126;
}
