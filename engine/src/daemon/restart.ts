import type { ContainerRecord } from '../containers/types.js';
import type { HostConfig } from '../types/docker.js';
import type { DaemonContext } from './context.js';
import type { ContainerLifecycle } from './lifecycle.js';

/** moby restartmanager: the first restart after 100 ms, doubling up to a minute. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long resets the back-off. */
const RESET_AFTER_MS = 10_000;

/** Docker's rule: always and unless-stopped restart; on-failure on a non-zero exit, up to its maximum. */
export function policyWantsRestart(c: ContainerRecord): boolean {
  const policy = c.hostConfig.RestartPolicy;
  switch (policy?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return c.state.ExitCode !== 0 && (max === 0 || c.restartCount < max);
    }
    default:
      return false;
  }
}

export function validRestartPolicy(p: HostConfig['RestartPolicy']): boolean {
  return !p || ['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(p.Name);
}

/**
 * Restart policies (moby's restartmanager and monitor): when a container that was not stopped on
 * purpose exits, it waits out the back-off in the `restarting` state (RestartCount already
 * counted, as dockerd does) and is started again. A manual stop, kill or rm during the wait
 * cancels it; a manual start or restart resets the count.
 */
export class RestartManager {
  /** The last back-off of each container. */
  private readonly delays = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Restarts whose start is under way (the back-off is over). */
  private readonly starting = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly lifecycle: ContainerLifecycle,
  ) {}

  /** lifecycle.onStopped: the task of `c` has exited (not removed). */
  stopped(c: ContainerRecord): void {
    if (c.manuallyStopped || !policyWantsRestart(c)) {
      this.delays.delete(c.id);
      return;
    }
    const ran = Date.now() - Date.parse(c.state.StartedAt);
    const last = this.delays.get(c.id);
    const delay = last === undefined || ran >= RESET_AFTER_MS ? FIRST_DELAY_MS : Math.min(last * 2, MAX_DELAY_MS);
    this.delays.set(c.id, delay);
    c.restartCount++;
    Object.assign(c.state, { Restarting: true, Status: 'restarting' });
    this.schedule(c, delay);
  }

  /**
   * After live restore: a container that was waiting out its back-off when berthd stopped is
   * started now. (Containers whose task exited while berthd was down went through stopped().)
   */
  restore(): void {
    for (const c of this.ctx.containers.all()) {
      if (c.state.Restarting && !c.state.Running && !this.timers.has(c.id)) this.schedule(c, FIRST_DELAY_MS);
    }
  }

  /**
   * Cancel a pending restart (the container counts as stopped by the user); true if there was
   * one. A restart already starting is let finish, so the caller stops a running container.
   */
  async cancel(c: ContainerRecord): Promise<boolean> {
    let timer = this.timers.get(c.id);
    // A restart under way may start a task that exits at once and schedules the next restart:
    // wait for it, then look again.
    for (let starting = this.starting.get(c.id); !timer && starting; starting = this.starting.get(c.id)) {
      await starting;
      timer = this.timers.get(c.id);
    }
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(c.id);
    this.delays.delete(c.id);
    c.manuallyStopped = true;
    Object.assign(c.state, { Restarting: false, Status: 'exited' });
    await this.ctx.containers.save(c);
    return true;
  }

  /** `docker start` and `docker restart`: a fresh restart count, as dockerd resets it. */
  async manual(ref: string, action: () => Promise<void>): Promise<void> {
    const c = this.ctx.containers.get(ref);
    await this.cancel(c);
    this.delays.delete(c.id);
    c.restartCount = 0;
    await action();
  }

  /** Daemon shutdown: pending restarts are picked up again by restore(). */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(c: ContainerRecord, delay: number): void {
    void this.ctx.containers.save(c).catch((err: unknown) => this.ctx.log.warn({ err, id: c.id }, 'save failed'));
    const timer = setTimeout(() => {
      this.timers.delete(c.id);
      const started = this.restart(c).finally(() => this.starting.delete(c.id));
      this.starting.set(c.id, started);
    }, delay);
    timer.unref();
    this.timers.set(c.id, timer);
  }

  private async restart(c: ContainerRecord): Promise<void> {
    if (!this.ctx.containers.find(c.id) || !c.state.Restarting) return;
    try {
      await this.lifecycle.start(c.id);
    } catch (err) {
      // As dockerd: a restart that fails leaves the container stopped; the policy is done with it.
      this.ctx.log.warn({ err, id: c.id }, 'restart by policy failed');
      if (!this.ctx.containers.find(c.id)) return;
      Object.assign(c.state, { Restarting: false, Status: 'exited' });
      await this.ctx.containers.save(c).catch(() => undefined);
    }
  }
}
