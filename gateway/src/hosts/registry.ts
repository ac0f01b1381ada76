// Every registered engine, its Docker API client and its health. All engine calls go through
// `call`, which enforces a per-host deadline and fails fast for a host known to be down, so one
// dead host never slows the others (fan-outs run in parallel, each with its own deadline).
import Dockerode from 'dockerode';
import type { Db } from '../db/client.js';
import { Errors } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayCA } from './ca.js';
import { isTransportError, mapEngineError, transportReason } from './engine-errors.js';
import { parseHostUrl } from './url.js';

export interface HostRow {
  id: string;
  name: string;
  url: string;
  tls: boolean;
}

export interface HostHealth {
  status: 'up' | 'down' | 'unknown';
  version: string | null;
  apiVersion: string | null;
  os: string | null;
  containers: { running: number; stopped: number; paused: number };
  images: number | null;
  lastSeen: Date | null;
  checkedAt: Date | null;
  error: string | null;
}

export interface HostHandle extends HostRow {
  docker: Dockerode;
  health: HostHealth;
}

export interface CallOptions {
  /** Upper bound for the whole call; null: none (streams, uploads). Default: callTimeoutMs.
   * Whatever it is, a host that stops answering is reported within timeoutMs. */
  timeoutMs?: number | null;
  /** Aborts the call (and any stream it returned) when the caller goes away. */
  signal?: AbortSignal;
}

export interface HostRegistryOptions {
  pollIntervalMs?: number;
  /** A down or hung host is reported within this long (default 2 s). */
  timeoutMs?: number;
  /** Upper bound for a call to a live engine without a deadline of its own (default 60 s). */
  callTimeoutMs?: number;
}

// dockerode accepts { abortSignal } on every call; @types/dockerode omits it on these two.
type WithSignal<R> = (opts: { abortSignal: AbortSignal }) => Promise<R>;
function versionOf(docker: Dockerode, signal: AbortSignal) {
  return (docker.version as unknown as WithSignal<Dockerode.DockerVersion>).call(docker, { abortSignal: signal });
}
function infoOf(docker: Dockerode, signal: AbortSignal) {
  return (docker.info as unknown as WithSignal<Record<string, number | string | undefined>>).call(docker, {
    abortSignal: signal,
  });
}

function emptyHealth(): HostHealth {
  return {
    status: 'unknown',
    version: null,
    apiVersion: null,
    os: null,
    containers: { running: 0, stopped: 0, paused: 0 },
    images: null,
    lastSeen: null,
    checkedAt: null,
    error: null,
  };
}

export class HostRegistry {
  private readonly hosts = new Map<string, HostHandle>();
  private readonly probes = new Map<string, Promise<HostHealth>>();
  private readonly pings = new Map<string, Promise<boolean>>();
  private timer: NodeJS.Timeout | undefined;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly callTimeoutMs: number;

  constructor(
    private readonly db: Db,
    private readonly ca: GatewayCA,
    private readonly log: Logger,
    opts: HostRegistryOptions = {},
  ) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 5000;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  private client(row: HostRow): Dockerode {
    const target = parseHostUrl(row.url, row.tls);
    if (target.kind === 'unix') return new Dockerode({ socketPath: target.socketPath });
    return new Dockerode({
      host: target.host,
      port: target.port,
      protocol: 'https',
      ca: this.ca.caCert,
      cert: this.ca.client.cert,
      key: this.ca.client.key,
    });
  }

  /** Re-reads the hosts table; clients are rebuilt only for hosts whose endpoint changed. */
  async reload(): Promise<void> {
    const rows = await this.db.host.findMany({ select: { id: true, name: true, url: true, tls: true } });
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const existing = this.hosts.get(row.id);
      if (existing && existing.url === row.url && existing.tls === row.tls) {
        existing.name = row.name;
        continue;
      }
      try {
        this.hosts.set(row.id, { ...row, docker: this.client(row), health: emptyHealth() });
      } catch (err) {
        this.log.warn({ host: row.name, err: (err as Error).message }, 'host has an unusable URL');
      }
    }
    for (const id of [...this.hosts.keys()]) if (!seen.has(id)) this.hosts.delete(id);
  }

  list(): HostHandle[] {
    return [...this.hosts.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  find(hostId: string): HostHandle | undefined {
    return this.hosts.get(hostId);
  }

  get(hostId: string): HostHandle {
    const host = this.hosts.get(hostId);
    if (!host) throw Errors.NOT_FOUND('host', hostId);
    return host;
  }

  /**
   * Runs `fn` against a host's engine. A host marked down, or not heard from for a poll
   * interval, is pinged first (one ping shared by all waiting callers) and refused if it does
   * not answer; a call that runs long is watched by pings; so a dead or hung host fails within
   * timeoutMs while a busy one gets the time it needs (up to the call's limit).
   */
  async call<T>(
    hostId: string,
    fn: (docker: Dockerode, signal: AbortSignal) => Promise<T>,
    opts: CallOptions = {},
  ): Promise<T> {
    const host = this.get(hostId);
    const stale = !host.health.lastSeen || Date.now() - host.health.lastSeen.getTime() > this.pollIntervalMs;
    if (host.health.status === 'down' || stale) {
      if (!(await this.ping(hostId))) throw Errors.HOST_UNREACHABLE(host.name, host.health.error ?? 'down');
    }
    const limit = opts.timeoutMs === undefined ? this.callTimeoutMs : opts.timeoutMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let fail: (err: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const abortWith = (reason: string) => {
      controller.abort();
      fail(Errors.HOST_UNREACHABLE(host.name, reason));
    };
    const limitTimer = limit === null ? undefined : setTimeout(() => abortWith(`no answer within ${limit} ms`), limit);
    // The watchdog: a call still running after half the deadline pings the engine (again every
    // half deadline); an engine that does not answer the ping is down, and the call fails at
    // once. A busy engine that answers pings is given the call's full time.
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      watchdog = setTimeout(async () => {
        if (await this.ping(hostId)) arm();
        else abortWith(host.health.error ?? 'down');
      }, this.timeoutMs / 2);
    };
    arm();
    try {
      const result = await Promise.race([fn(host.docker, controller.signal), failed]);
      this.markUp(host);
      return result;
    } catch (err) {
      const mapped = mapEngineError(host.name, err);
      if (mapped.berthCode === 'HOST_UNREACHABLE' && !opts.signal?.aborted) {
        this.markDown(
          host,
          isTransportError(err) ? transportReason(err) : mapped.message.replace(/^host \S+ is unreachable: /, ''),
        );
      } else if (mapped.berthCode !== 'HOST_UNREACHABLE') {
        this.markUp(host); // the engine answered, even if with an error
      }
      throw mapped;
    } finally {
      clearTimeout(limitTimer);
      clearTimeout(watchdog);
      watchdog = undefined;
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  private markUp(host: HostHandle): void {
    host.health.lastSeen = new Date();
    if (host.health.status !== 'up') {
      host.health.status = 'up';
      host.health.error = null;
    }
  }

  private markDown(host: HostHandle, reason: string): void {
    if (host.health.status !== 'down') this.log.warn({ host: host.name, reason }, 'host is down');
    host.health.status = 'down';
    host.health.error = reason;
    host.health.checkedAt = new Date();
  }

  /**
   * Liveness only (GET /_ping, the cheapest engine call), for calls that must not wait on a dead
   * host. /info, which the health poll uses, can take seconds on a busy engine. Concurrent callers
   * share one ping.
   */
  ping(hostId: string): Promise<boolean> {
    const pending = this.pings.get(hostId);
    if (pending) return pending;
    const host = this.get(hostId);
    const run = (async () => {
      // Half the deadline: with the watchdog's half, a hung engine is reported within it.
      const signal = AbortSignal.timeout(this.timeoutMs / 2);
      const deadline = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), {
          once: true,
        }),
      );
      try {
        await Promise.race([
          (host.docker.ping as unknown as WithSignal<unknown>).call(host.docker, { abortSignal: signal }),
          deadline,
        ]);
        this.markUp(host);
        return true;
      } catch (err) {
        this.markDown(host, signal.aborted ? `no answer within ${this.timeoutMs} ms` : transportReason(err));
        return false;
      }
    })().finally(() => this.pings.delete(hostId));
    this.pings.set(hostId, run);
    return run;
  }

  /**
   * Liveness (ping), then version and container counts; concurrent callers share one probe.
   * A live engine too busy to answer /info in time stays up, with the previous counts.
   */
  probe(hostId: string): Promise<HostHealth> {
    const pending = this.probes.get(hostId);
    if (pending) return pending;
    const host = this.get(hostId);
    const run = (async () => {
      if (!(await this.ping(hostId))) return host.health;
      const signal = AbortSignal.timeout(this.timeoutMs);
      try {
        const deadline = new Promise<never>((_, reject) =>
          signal.addEventListener(
            'abort',
            () => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })),
            { once: true },
          ),
        );
        const [version, info] = await Promise.race([
          Promise.all([versionOf(host.docker, signal), infoOf(host.docker, signal)]),
          deadline,
        ]);
        const wasSeen = host.health.lastSeen;
        Object.assign(host.health, {
          status: 'up',
          version: version.Version ?? null,
          apiVersion: version.ApiVersion ?? null,
          os: (info.OperatingSystem as string | undefined) ?? null,
          containers: {
            running: Number(info.ContainersRunning ?? 0),
            stopped: Number(info.ContainersStopped ?? 0),
            paused: Number(info.ContainersPaused ?? 0),
          },
          images: info.Images === undefined ? null : Number(info.Images),
          lastSeen: new Date(),
          checkedAt: new Date(),
          error: null,
        } satisfies HostHealth);
        // Persist last-seen at most once a minute: the table is not a heartbeat log.
        if (!wasSeen || Date.now() - wasSeen.getTime() > 60_000 || host.health.version !== version.Version) {
          await this.db.host
            .update({
              where: { id: host.id },
              data: { lastSeenAt: new Date(), engineVersion: version.Version ?? null },
            })
            .catch(() => {});
        }
      } catch (err) {
        if (signal.aborted) {
          host.health.checkedAt = new Date();
          this.log.debug({ host: host.name }, 'engine answered ping but not /info in time');
        } else {
          this.markDown(host, isTransportError(err) ? transportReason(err) : mapEngineError(host.name, err).message);
        }
      }
      return host.health;
    })().finally(() => this.probes.delete(hostId));
    this.probes.set(hostId, run);
    return run;
  }

  async probeAll(): Promise<void> {
    await Promise.allSettled(this.list().map((h) => this.probe(h.id)));
  }

  start(): void {
    if (this.timer) return;
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
