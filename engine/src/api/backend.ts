import type { Readable, Writable } from 'node:stream';
import type { ProgressFn } from '../images/types.js';
import type { ContainerCreateBody, HostConfig } from '../types/docker.js';
import type { ImageConfig } from '../types/oci.js';

/** The Docker JSON shapes the routers send back as they are. */
export type Json = Record<string, unknown>;

export interface OutputFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Where attach/exec output goes and where input comes from; the router picks raw or multiplexed framing. */
export interface StreamIO {
  input: Readable | null;
  /** objectMode sink of OutputFrame. Ending it ends the HTTP stream. */
  output: Writable;
}

export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  since?: number;
  until?: number;
  timestamps: boolean;
  tail?: number;
}

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface EventsOptions {
  since?: number;
  until?: number;
  filters: Record<string, string[]>;
}

export interface ContainerBackend {
  containerCreate(body: ContainerCreateBody, name: string | undefined): Promise<{ Id: string; Warnings: string[] }>;
  containerList(opts: {
    all: boolean;
    limit?: number;
    size: boolean;
    filters: Record<string, string[]>;
  }): Promise<Json[]>;
  containerInspect(ref: string, size: boolean): Promise<Json>;
  containerIsTty(ref: string): boolean;
  containerStart(ref: string): Promise<void>;
  containerStop(ref: string, opts: { timeout?: number; signal?: string }): Promise<boolean>;
  containerRestart(ref: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  containerKill(ref: string, signal?: string): Promise<void>;
  containerPause(ref: string): Promise<void>;
  containerUnpause(ref: string): Promise<void>;
  containerRemove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
  /** Registers the waiter synchronously (before `start` can race it); `result` settles on the condition. */
  containerWait(ref: string, condition: string): { result: Promise<WaitResult> };
  containerRename(ref: string, name: string): Promise<void>;
  containerTop(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  containerLogs(ref: string, opts: LogsOptions, signal: AbortSignal): AsyncIterable<OutputFrame>;
  containerAttach(ref: string, opts: AttachOptions, io: StreamIO): Promise<void>;
  containerResize(ref: string, size: { height: number; width: number }): Promise<void>;
  containerArchiveStat(ref: string, path: string): Promise<Json>;
  containerArchiveGet(ref: string, path: string): Promise<{ stat: Json; tar: Readable }>;
  containerArchivePut(
    ref: string,
    path: string,
    tar: Readable,
    opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
  ): Promise<void>;
  containerExport(ref: string): Promise<Readable>;
  containerChanges(ref: string): Promise<{ Path: string; Kind: number }[]>;
  containerPrune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  containerCommit(
    ref: string,
    opts: { reference?: string; comment?: string; author?: string; changes: string[]; pause: boolean; config?: Json },
  ): Promise<{ Id: string }>;
  containerStats(ref: string, opts: { stream: boolean; oneShot: boolean }, signal: AbortSignal): AsyncIterable<Json>;
  containerUpdate(ref: string, update: HostConfig): Promise<{ Warnings: string[] }>;
}

export interface ExecBackend {
  execCreate(ref: string, config: Json): Promise<{ Id: string }>;
  /** `size`: the initial terminal size; `onStart`: called with the process's pid once it runs. */
  execStart(
    id: string,
    opts: { detach: boolean; tty: boolean; size?: { height: number; width: number }; onStart?: (pid: number) => void },
    io: StreamIO,
  ): Promise<void>;
  execInspect(id: string): Json;
  execResize(id: string, size: { height: number; width: number }): Promise<void>;
  execIsTty(id: string): boolean;
}

export interface ImageBackend {
  imageList(opts: { all: boolean; digests: boolean; filters: Record<string, string[]> }): Promise<Json[]>;
  imageInspect(ref: string): Promise<Json>;
  imageHistory(ref: string): Promise<Json[]>;
  imageImport(
    tar: Readable,
    opts: { reference?: string; changes: string[]; message?: string },
    progress: ProgressFn,
  ): Promise<string>;
  imageLoad(tar: Readable, progress: ProgressFn): Promise<void>;
  imageSave(refs: string[]): Promise<Readable>;
  imageTag(ref: string, repo: string, tag: string | undefined): Promise<void>;
  imageRemove(ref: string, opts: { force: boolean; noprune: boolean }): Promise<Json[]>;
  imagePrune(filters: Record<string, string[]>): Promise<Json>;
  imagePull(
    ref: string,
    opts: { platform?: string; registryAuth?: string },
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void>;
  imagePush(ref: string, opts: { registryAuth?: string }, progress: ProgressFn, signal: AbortSignal): Promise<void>;
  registryLogin(auth: Json): Promise<Json>;
  imageConfigOf?(ref: string): Promise<ImageConfig>;
}

export interface SystemBackend {
  readonly apiVersion: string;
  readonly minApiVersion: string;
  version(): Json;
  info(): Promise<Json>;
  diskUsage(): Promise<Json>;
  events(opts: EventsOptions, signal: AbortSignal): AsyncIterable<Json>;
}

export interface VolumeBackend {
  volumeList(filters: Record<string, string[]>): Promise<Json>;
  volumeCreate(body: Json): Promise<Json>;
  volumeInspect(name: string): Promise<Json>;
  volumeRemove(name: string, force: boolean): Promise<void>;
  volumePrune(filters: Record<string, string[]>): Promise<Json>;
}

export interface NetworkBackend {
  networkList(filters: Record<string, string[]>): Promise<Json[]>;
  networkInspect(ref: string): Promise<Json>;
  networkCreate(body: Json): Promise<Json>;
  networkRemove(ref: string): Promise<void>;
  networkConnect(ref: string, body: Json): Promise<void>;
  networkDisconnect(ref: string, body: Json): Promise<void>;
  networkPrune(filters: Record<string, string[]>): Promise<Json>;
}

export interface BuildBackend {
  build(
    context: Readable,
    query: URLSearchParams,
    registryConfig: string | undefined,
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Everything the HTTP layer may ask of the engine; each router uses only its own part. */
export type Backend = SystemBackend &
  ContainerBackend &
  ImageBackend &
  Partial<ExecBackend> &
  Partial<VolumeBackend> &
  Partial<NetworkBackend> &
  Partial<BuildBackend>;
