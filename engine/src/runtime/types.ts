import type { Readable, Writable } from 'node:stream';
import type { Mount } from '../snapshots/types.js';
import type { ExecOptions, ExecProcess } from './exec-types.js';

/** What the OCI runtime needs to create a task: a bundle (config.json written by the caller) and its rootfs mounts. */
export interface CreateTaskOptions {
  id: string;
  /** Directory with config.json; the runtime mounts `rootfs` at `<bundle>/rootfs`. */
  bundle: string;
  rootfs: Mount[];
  terminal: boolean;
  /** Keep a stdin pipe open for attach (docker -i). */
  stdin: boolean;
  /** Close stdin after the first attached client detaches (docker's StdinOnce). */
  stdinOnce: boolean;
  /** Container log file (conmon k8s-file format). */
  logPath: string;
}

export interface ExitStatus {
  exitCode: number;
  exitedAt: string; // RFC 3339 with nanoseconds
  oomKilled: boolean;
}

export type TaskStatus = 'created' | 'running' | 'paused' | 'stopped' | 'unknown';

export interface OutputFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** A live connection to a task's stdio (conmon's attach socket). */
export interface AttachStream {
  /**
   * objectMode Readable of OutputFrame; ends when the task's stdio closes. For TTY tasks all output
   * is 'stdout'. Keep reading it (or resume() it) while attached: the conmon socket cannot be
   * paused, so unread output queues in memory and a reader ~16 MiB behind is disconnected.
   */
  output: Readable;
  /** Present when attached with stdin; end() delivers EOF (unless the task keeps stdin open). */
  stdin: Writable | null;
  /**
   * Disconnect. conmon closes the task's stdin whenever an attached client goes, unless the task
   * was created with stdinOnce false (conmon's --leave-stdin-open); nothing else is affected.
   */
  close(): void;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string; // RFC 3339 nano
  data: Buffer; // one line including its trailing newline, or a partial chunk
}

export interface LogReadOptions {
  follow?: boolean;
  /** Number of lines from the end, or undefined for all. */
  tail?: number;
  since?: number; // unix seconds (fractional)
  until?: number;
  /** When following: resolves when the writer is gone, so the reader drains and ends. */
  done?: Promise<unknown>;
  signal?: AbortSignal;
}

/**
 * runtime: runs tasks with conmon + an OCI runtime (runc by default, crun where cgroups allow).
 * conmon is the parent of each container, so containers and their logs outlive berthd.
 */
export interface Runtime {
  readonly name: string;
  /**
   * Mounts `rootfs` at `<bundle>/rootfs` unless it is already mounted there (the caller may mount it
   * first to build the spec); either way delete() unmounts it.
   */
  create(opts: CreateTaskOptions): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string, all?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /**
   * Remove the runtime's state and unmount the rootfs (if create() mounted it); the task must be
   * stopped, else CONFLICT unless `force` (which kills it). Unknown ids are a no-op.
   */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  /** 'unknown' (pid 0) when the runtime has no task of that id. */
  state(id: string): Promise<{ status: TaskStatus; pid: number }>;
  /** Resolves once the task has exited — also for tasks created before a berthd restart. NO_SUCH_CONTAINER if unknown. */
  wait(id: string): Promise<ExitStatus>;
  /** Exit status recorded while no one was watching (live restore), if the task has exited. */
  exitStatus(id: string): Promise<ExitStatus | undefined>;
  attach(id: string, opts: { stdin: boolean }): Promise<AttachStream>;
  resize(id: string, size: { height: number; width: number }): Promise<void>;
  /** Run another process in a running task (docker exec); see exec.ts. */
  exec(id: string, opts: ExecOptions): Promise<ExecProcess>;
  pids(id: string): Promise<number[]>;
  readLogs(logPath: string, opts: LogReadOptions): AsyncIterable<LogEntry>;
  /** Ids of every task the runtime holds state for, running or not. */
  tasks?(): Promise<string[]>;
  /** On engine start: undo what a previous engine left half-done (see ConmonRuntime). */
  recover?(): Promise<void>;
}
