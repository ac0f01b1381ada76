import { Writable } from 'node:stream';
import type { OutputFrame } from '../api/backend.js';
import type { ContainerRecord } from '../containers/types.js';
import type { ContainerState } from '../types/docker.js';
import { containerAttributes, type DaemonContext } from './context.js';
import type { ExecManager } from './exec.js';

/** moby daemon/health.go defaults and limits. */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

type Health = NonNullable<ContainerState['Health']>;

export interface HealthcheckResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** The Healthcheck of a container config; StartInterval came with API 1.44. */
interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** API durations are nanoseconds; 0 means the default. */
const ms = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? ns / 1e6 : fallback);

/** Go's time.Duration String() for the round values healthchecks use ("30s", "500ms", "1m30s"). */
function goDuration(millis: number): string {
  if (millis < 1000) return `${millis}ms`;
  const minutes = Math.floor(millis / 60_000);
  const seconds = (millis % 60_000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * HEALTHCHECK (moby daemon/health.go): while a container runs, its test runs as an exec every
 * interval (the start interval while starting within the start period), with a timeout; the last
 * five results are kept in State.Health.Log. A pass makes it healthy; `retries` failures in a row
 * make it unhealthy, except that failures inside the start period do not count while it is still
 * starting. Every change of status is a `health_status: <status>` event.
 */
export class HealthMonitor {
  /** One monitor per running container, tied to the run it was started for. */
  private readonly monitors = new Map<string, { startedAt: string; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly execs: ExecManager,
  ) {}

  /** lifecycle.onStarted, and for running containers after live restore. */
  started(c: ContainerRecord): void {
    this.halt(c.id);
    const hc = c.config.Healthcheck as HealthConfig | undefined;
    const test = hc?.Test ?? [];
    if (test.length === 0 || test[0] === 'NONE') return;
    // As moby's initHealthMonitor: a new run starts over at `starting`, the log stays.
    c.state.Health = { Status: 'starting', FailingStreak: 0, Log: c.state.Health?.Log ?? [] };
    const m = { startedAt: c.state.StartedAt };
    this.monitors.set(c.id, m);
    this.schedule(c, m);
  }

  /** The container's task exited: no more probes; moby reports a stopped monitor as unhealthy. */
  stopped(c: ContainerRecord): void {
    this.halt(c.id);
    if (!c.state.Health) return;
    c.state.Health.Status = 'unhealthy';
    void this.ctx.containers.save(c).catch(() => undefined);
  }

  close(): void {
    for (const id of [...this.monitors.keys()]) this.halt(id);
  }

  private halt(id: string): void {
    const m = this.monitors.get(id);
    if (m?.timer) clearTimeout(m.timer);
    this.monitors.delete(id);
  }

  private current(c: ContainerRecord, m: { startedAt: string }): boolean {
    return (
      this.monitors.get(c.id) === m &&
      c.state.Running &&
      c.state.StartedAt === m.startedAt &&
      this.ctx.containers.find(c.id) === c
    );
  }

  private schedule(c: ContainerRecord, m: { startedAt: string; timer?: NodeJS.Timeout }): void {
    const hc = (c.config.Healthcheck ?? {}) as HealthConfig;
    const interval = ms(hc.Interval, DEFAULT_INTERVAL_MS);
    const inStartPeriod = Date.now() - Date.parse(c.state.StartedAt) < ms(hc.StartPeriod, 0);
    const delay =
      inStartPeriod && c.state.Health?.Status === 'starting'
        ? ms(hc.StartInterval, DEFAULT_START_INTERVAL_MS)
        : interval;
    m.timer = setTimeout(() => void this.tick(c, m), delay);
    m.timer.unref();
  }

  private async tick(c: ContainerRecord, m: { startedAt: string; timer?: NodeJS.Timeout }): Promise<void> {
    if (!this.current(c, m)) return;
    if (!c.state.Paused) {
      const result = await this.probe(c);
      if (!this.current(c, m)) return;
      await this.record(c, result);
    }
    if (this.current(c, m)) this.schedule(c, m);
  }

  /** One run of the test through the exec machinery (so it shows as exec events, as with dockerd). */
  private async probe(c: ContainerRecord): Promise<HealthcheckResult> {
    const hc = (c.config.Healthcheck ?? {}) as HealthConfig;
    const [kind, ...rest] = hc.Test ?? [];
    const shell = c.config.Shell?.length ? c.config.Shell : ['/bin/sh', '-c'];
    const cmd = kind === 'CMD-SHELL' ? [...shell, ...rest] : rest;
    const timeout = ms(hc.Timeout, DEFAULT_TIMEOUT_MS);
    const start = new Date();
    const chunks: Buffer[] = [];
    let size = 0;
    const output = new Writable({
      objectMode: true,
      write(frame: OutputFrame, _enc, done) {
        if (size < MAX_OUTPUT) chunks.push(frame.data.subarray(0, MAX_OUTPUT - size));
        size += frame.data.length;
        done();
      },
    });
    let execId = '';
    let timer: NodeJS.Timeout | undefined;
    try {
      ({ Id: execId } = await this.execs.create(c.id, { Cmd: cmd, AttachStdout: true, AttachStderr: true }));
      const ran = this.execs.start(execId, { detach: false, tty: false }, { input: null, output });
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeout);
      });
      if ((await Promise.race([ran, timedOut])) === 'timeout') {
        // As dockerd: the probe's process is killed (once it has one: starting an exec can itself
        // outlast a short timeout) and its exit waited for, so slow probes do not pile up. The
        // exit, not the end of its output: a child it left behind may hold that open.
        let killed = false;
        for (let i = 0; i < 200 && this.execs.inspect(execId).Running; i++) {
          const pid = Number(this.execs.inspect(execId).Pid);
          if (pid > 0 && !killed) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Exited meanwhile.
            }
            killed = true;
          }
          await sleep(50);
        }
        const out = Buffer.concat(chunks).toString();
        return result(start, -1, `Health check exceeded timeout (${goDuration(timeout)})${out ? `: ${out}` : ''}`);
      }
      const code = this.execs.inspect(execId).ExitCode;
      return result(start, typeof code === 'number' ? code : -1, Buffer.concat(chunks).toString());
    } catch (err) {
      return result(start, -1, (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** moby's handleProbeResult. */
  private async record(c: ContainerRecord, r: HealthcheckResult): Promise<void> {
    const hc = (c.config.Healthcheck ?? {}) as HealthConfig;
    const h: Health = c.state.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const before = h.Status;
    h.Log = [...h.Log, r].slice(-MAX_LOG_ENTRIES);
    if (r.ExitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else {
      const grace =
        h.Status === 'starting' && Date.parse(r.Start) - Date.parse(c.state.StartedAt) < ms(hc.StartPeriod, 0);
      if (!grace) {
        h.FailingStreak++;
        if (h.FailingStreak >= (hc.Retries && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES)) h.Status = 'unhealthy';
      }
    }
    c.state.Health = h;
    await this.ctx.containers.save(c).catch(() => undefined);
    if (h.Status !== before) {
      this.ctx.events.publish('container', `health_status: ${h.Status}`, c.id, containerAttributes(c));
    }
  }
}

const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));

function result(start: Date, exitCode: number, output: string): HealthcheckResult {
  return { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: exitCode, Output: output };
}
