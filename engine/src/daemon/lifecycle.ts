import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { WaitResult } from '../api/backend.js';
import { mergeImageDefaults, processArgv } from '../containers/spec.js';
import { ContainerStore } from '../containers/store.js';
import { type ContainerRecord, initialState } from '../containers/types.js';
import { EngineError, isEngineError } from '../errors.js';
import { parseReference } from '../images/reference.js';
import type { ExitStatus } from '../runtime/types.js';
import type { ContainerCreateBody } from '../types/docker.js';
import type { AttachManager } from './attach.js';
import { validateHostConfig } from './config.js';
import { containerAttributes, type DaemonContext, nowIso } from './context.js';
import { generateName } from './names.js';
import type { TaskPreparer } from './task.js';
import { Waiters } from './waiters.js';

/** Container lifecycle: create, start, stop, kill, pause, remove, wait, and what happens on exit. */
export class ContainerLifecycle {
  readonly waiters = new Waiters();
  /** Serializes state changes per container (start vs stop vs remove races). */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Exit of each running task, for stop/kill to await. */
  private readonly exits = new Map<string, Promise<void>>();
  /**
   * Runtime deletes of exited tasks still under way. They run after the exit is reported: the
   * OCI runtime's delete is the slowest step of an exit (a runc start-up and cgroup removal) and
   * nothing the client sees waits on it — only a new task under the same id does (start below).
   */
  private readonly deletions = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly attach: AttachManager,
    private readonly tasks: TaskPreparer,
  ) {}

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  async create(body: ContainerCreateBody, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    if (typeof body.Image !== 'string' || body.Image === '')
      throw new EngineError('BAD_PARAMETER', 'config cannot be empty in order to create a container');
    const hostConfig = body.HostConfig ?? {};
    validateHostConfig(hostConfig);
    const image = await this.ctx.images.get(body.Image).catch((err: unknown) => {
      // A malformed reference is the client's mistake (400), not a missing image (404).
      if (!/^(sha256:)?[0-9a-f]+$/.test(body.Image)) parseReference(body.Image);
      throw err;
    });
    const { HostConfig: _hc, NetworkingConfig: _nc, ...userConfig } = body;
    const config = mergeImageDefaults(userConfig, image.config.config);
    const [path = '', ...args] = processArgv(config);
    const id = randomBytes(32).toString('hex');
    const store = this.ctx.containers;
    const finalName = name ?? generateName((n) => store.find(n) !== undefined);
    store.reserveName(finalName, id);
    const dir = store.dir(id);
    let record: ContainerRecord | undefined;
    try {
      await mkdir(dir, { recursive: true });
      config.Hostname = config.Hostname || id.slice(0, 12);
      record = {
        id,
        name: finalName,
        created: nowIso(),
        config,
        hostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, ...hostConfig },
        imageId: image.id,
        path,
        args,
        state: initialState(),
        restartCount: 0,
        manuallyStopped: false,
        logPath: join(dir, 'ctr.log'),
        mountPoints: [],
        networkSettings: { SandboxKey: '', Ports: {}, Networks: {} },
        hostnamePath: join(dir, 'hostname'),
        hostsPath: join(dir, 'hosts'),
        resolvConfPath: join(dir, 'resolv.conf'),
      };
      await this.tasks.created?.(record, body);
      await this.ctx.images.prepareRootfs(image.id, id);
      await store.add(record);
    } catch (err) {
      if (record) await this.tasks.discarded?.(record).catch(() => undefined);
      store.releaseName(finalName, id);
      await this.ctx.snapshotter.remove(id).catch(() => undefined);
      await store.remove(id).catch(() => undefined);
      throw err;
    }
    this.ctx.events.publish('container', 'create', id, containerAttributes(store.get(id)));
    return { Id: id, Warnings: [] };
  }

  start(ref: string): Promise<void> {
    const c = this.ctx.containers.get(ref);
    return this.locked(c.id, () => this.startLocked(c));
  }

  private async startLocked(c: ContainerRecord): Promise<void> {
    if (c.state.Paused) throw new EngineError('CONFLICT', 'cannot start a paused container, try unpause instead');
    if (c.state.Running) return;
    if (c.state.Status === 'removing' || c.state.Dead)
      throw new EngineError('CONFLICT', `container ${c.id} is marked for removal and cannot be started`);
    const image = await this.ctx.images.get(c.imageId);
    let created = false;
    try {
      const opts = await this.tasks.prepare(c, image.config);
      // A failed start may have left a stopped task behind; the runtime wants the id free.
      await this.deletions.get(c.id);
      await this.ctx.runtime.delete(c.id, { force: true }).catch(() => undefined);
      const { pid } = await this.ctx.runtime.create(opts);
      created = true;
      await this.attach.connectPending(c);
      await this.tasks.ready?.(c);
      await this.ctx.runtime.start(c.id);
      Object.assign(c.state, {
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: nowIso(),
      });
      c.manuallyStopped = false;
      this.monitor(c);
      await this.ctx.containers.save(c);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      c.state.Error = message;
      c.state.ExitCode = 128;
      if (created) await this.ctx.runtime.delete(c.id, { force: true }).catch(() => undefined);
      await this.tasks.released?.(c).catch(() => undefined);
      this.attach.cancelPending(c.id);
      await this.ctx.containers.save(c);
      this.ctx.events.publish('container', 'die', c.id, containerAttributes(c, { exitCode: '128' }));
      if (c.hostConfig.AutoRemove) await this.removeAfterExit(c, 128);
      throw err instanceof EngineError ? err : new EngineError('RUNTIME', message);
    }
    this.ctx.events.publish('container', 'start', c.id, containerAttributes(c));
    this.onStarted?.(c);
  }

  /** Watch a running task for its exit (also after a berthd restart). */
  monitor(c: ContainerRecord): void {
    const exit = this.ctx.runtime.wait(c.id).then(
      (status) => this.locked(c.id, () => this.handleExit(c, status)),
      (err: unknown) => {
        this.ctx.log.error({ err, id: c.id }, 'lost track of a task');
        return this.locked(c.id, () => this.handleExit(c, { exitCode: 255, exitedAt: nowIso(), oomKilled: false }));
      },
    );
    this.exits.set(c.id, exit);
  }

  private async handleExit(c: ContainerRecord, status: ExitStatus): Promise<void> {
    this.exits.delete(c.id);
    if (!c.state.Running && c.state.Status !== 'paused') return;
    // conmon notices OOM kills of the init process; the cgroup's counter also sees the others.
    // It must be read before the runtime's delete removes the cgroup.
    const oomKilled = status.oomKilled || (await this.oomKilled?.(c).catch(() => false)) === true;
    Object.assign(c.state, {
      Status: 'exited',
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: status.exitCode,
      OOMKilled: oomKilled,
      FinishedAt: status.exitedAt,
    });
    // The task is gone: its network and mounts are released (`docker run --rm` waits for that),
    // its runtime state meanwhile and after.
    this.deleteTask(c.id);
    await this.tasks
      .released?.(c)
      .catch((err: unknown) => this.ctx.log.warn({ err, id: c.id }, 'releasing task resources failed'));
    await this.ctx.containers.save(c);
    if (oomKilled) this.ctx.events.publish('container', 'oom', c.id, containerAttributes(c));
    this.ctx.events.publish('container', 'die', c.id, containerAttributes(c, { exitCode: String(status.exitCode) }));
    this.waiters.exited(c.id, status.exitCode);
    if (c.hostConfig.AutoRemove) await this.removeAfterExit(c, status.exitCode);
    else this.onStopped?.(c);
  }

  private deleteTask(id: string): void {
    const deleting = this.ctx.runtime
      .delete(id, { force: true })
      .catch((err: unknown) => this.ctx.log.warn({ err, id }, 'runtime delete failed'))
      .finally(() => {
        if (this.deletions.get(id) === deleting) this.deletions.delete(id);
      });
    this.deletions.set(id, deleting);
  }

  /** Resolves once the runtime deletes under way are done (engine shutdown). */
  async settle(): Promise<void> {
    await Promise.all(this.deletions.values());
  }

  /** Resolves when the container's current run has ended. */
  exitOf(c: ContainerRecord): Promise<void> {
    return this.exits.get(c.id) ?? Promise.resolve();
  }

  /** Hooks for restart policies and healthchecks (set by the daemon). */
  onStopped?: (c: ContainerRecord) => void;
  onStarted?: (c: ContainerRecord) => void;
  /** A manual stop/kill/rm/restart cancels a pending policy restart; true when there was one. */
  cancelRestart?: (c: ContainerRecord) => Promise<boolean>;
  /** Whether the kernel's OOM killer acted in the container's cgroup. */
  oomKilled?: (c: ContainerRecord) => Promise<boolean>;

  private async removeAfterExit(c: ContainerRecord, exitCode: number): Promise<void> {
    await this.destroy(c).catch((err: unknown) => this.ctx.log.error({ err, id: c.id }, 'auto-remove failed'));
    this.waiters.removed(c.id, exitCode);
  }

  wait(ref: string, condition: string): { result: Promise<WaitResult> } {
    if (!['not-running', 'next-exit', 'removed'].includes(condition))
      throw new EngineError('BAD_PARAMETER', `invalid condition: "${condition}"`);
    const c = this.ctx.containers.get(ref);
    if (condition === 'not-running' && !c.state.Running) {
      return { result: Promise.resolve({ StatusCode: c.state.ExitCode, Error: null }) };
    }
    return { result: this.waiters.add(c.id, condition as 'not-running') };
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string }): Promise<boolean> {
    const c = this.ctx.containers.get(ref);
    if (await this.cancelRestart?.(c)) {
      this.ctx.events.publish('container', 'stop', c.id, containerAttributes(c));
      return true;
    }
    // Also when its task has just exited and the restart policy has yet to hear of it.
    c.manuallyStopped = true;
    if (!c.state.Running) return false;
    const signal = opts.signal || c.config.StopSignal || 'SIGTERM';
    const timeout = opts.timeout ?? c.config.StopTimeout ?? 10;
    await this.terminate(c, signal, timeout);
    this.ctx.events.publish('container', 'stop', c.id, containerAttributes(c));
    return true;
  }

  /** Send `signal`, wait up to `timeout` seconds (-1 = forever), then SIGKILL; resolves once exited. */
  private async terminate(c: ContainerRecord, signal: string, timeout: number): Promise<void> {
    if (c.state.Paused) await this.ctx.runtime.resume(c.id).catch(() => undefined);
    const exited = this.exits.get(c.id) ?? Promise.resolve();
    if (timeout !== 0) {
      await this.signal(c, signal);
      if (timeout < 0) return exited;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(r, timeout * 1000, true)),
      ]);
      if (!timedOut) return;
    }
    await this.signal(c, 'SIGKILL', true);
    await exited;
  }

  private async signal(c: ContainerRecord, signal: string, all = false): Promise<void> {
    this.ctx.events.publish('container', 'kill', c.id, containerAttributes(c, { signal: signal.replace(/^SIG/, '') }));
    await this.ctx.runtime.kill(c.id, signal, all).catch((err: unknown) => {
      // The task may have exited between our check and the signal (its exit not yet handled).
      if (c.state.Running && !isEngineError(err, 'NOT_RUNNING')) throw err;
    });
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.ctx.containers.get(ref);
    if (await this.cancelRestart?.(c)) return;
    if (!c.state.Running) throw new EngineError('NOT_RUNNING', c.id);
    if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(signal)) throw new EngineError('BAD_PARAMETER', `Invalid signal: ${signal}`);
    c.manuallyStopped = true;
    await this.signal(c, signal, signal === 'SIGKILL' || signal === 'KILL' || signal === '9');
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const c = this.ctx.containers.get(ref);
    await this.cancelRestart?.(c);
    if (c.state.Running) {
      // Stopped on purpose: the restart policy must not start it as well.
      c.manuallyStopped = true;
      await this.terminate(
        c,
        opts.signal || c.config.StopSignal || 'SIGTERM',
        opts.timeout ?? c.config.StopTimeout ?? 10,
      );
    }
    await this.start(c.id);
    this.ctx.events.publish('container', 'restart', c.id, containerAttributes(c));
  }

  async pause(ref: string): Promise<void> {
    const c = this.ctx.containers.get(ref);
    await this.locked(c.id, async () => {
      if (!c.state.Running) throw new EngineError('NOT_RUNNING', c.id);
      if (c.state.Paused) throw new EngineError('ALREADY_PAUSED', c.id);
      await this.ctx.runtime.pause(c.id);
      Object.assign(c.state, { Paused: true, Status: 'paused' });
      await this.ctx.containers.save(c);
    });
    this.ctx.events.publish('container', 'pause', c.id, containerAttributes(c));
  }

  async unpause(ref: string): Promise<void> {
    const c = this.ctx.containers.get(ref);
    await this.locked(c.id, async () => {
      if (!c.state.Paused) throw new EngineError('NOT_PAUSED', c.id);
      await this.ctx.runtime.resume(c.id);
      Object.assign(c.state, { Paused: false, Status: 'running' });
      await this.ctx.containers.save(c);
    });
    this.ctx.events.publish('container', 'unpause', c.id, containerAttributes(c));
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.ctx.containers.get(ref);
    if (c.state.Restarting && !opts.force) {
      throw new EngineError(
        'CONFLICT',
        `cannot remove container "/${c.name}": container is restarting: stop the container before removing or force remove`,
      );
    }
    await this.cancelRestart?.(c);
    if (c.state.Running) {
      if (!opts.force) {
        throw c.state.Paused
          ? new EngineError(
              'CONFLICT',
              `cannot remove container "/${c.name}": container is paused and must be unpaused first`,
            )
          : new EngineError('CONTAINER_RUNNING', `/${c.name}`);
      }
      c.manuallyStopped = true;
      await this.terminate(c, 'SIGKILL', 0);
    }
    await this.destroy(c, opts.volumes);
    this.waiters.removed(c.id, c.state.ExitCode);
  }

  private async destroy(c: ContainerRecord, volumes = false): Promise<void> {
    if (!this.ctx.containers.find(c.id)) return;
    c.state.Status = 'removing';
    this.attach.cancelPending(c.id);
    // A delete under way since the exit finishes on its own (restore() sweeps up after a crash).
    if (!this.deletions.has(c.id)) await this.ctx.runtime.delete(c.id, { force: true }).catch(() => undefined);
    await this.tasks.removed?.(c, volumes);
    await this.ctx.snapshotter.remove(c.id).catch((err: unknown) => {
      if ((err as EngineError).status !== 404) this.ctx.log.warn({ err, id: c.id }, 'snapshot removal failed');
    });
    await this.ctx.containers.remove(c.id);
    this.ctx.events.publish('container', 'destroy', c.id, containerAttributes(c));
  }

  async rename(ref: string, name: string): Promise<void> {
    const c = this.ctx.containers.get(ref);
    if (!ContainerStore.validName(name))
      throw new EngineError(
        'BAD_PARAMETER',
        `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    if (c.name === name)
      throw new EngineError('BAD_PARAMETER', 'Renaming a container with the same name as its current name');
    const oldName = c.name;
    this.ctx.containers.rename(c, name);
    await this.ctx.containers.save(c);
    this.ctx.events.publish('container', 'rename', c.id, containerAttributes(c, { oldName: `/${oldName}` }));
  }

  /**
   * Live restore: find the tasks of containers that were running when berthd stopped. Running
   * ones are watched again; ones that exited meanwhile get their recorded exit code.
   */
  async restore(): Promise<void> {
    for (const c of this.ctx.containers.all()) {
      if (!c.state.Running) {
        if (c.state.Status === 'removing') await this.destroy(c).catch(() => undefined);
        continue;
      }
      const { status } = await this.ctx.runtime.state(c.id).catch(() => ({ status: 'unknown' as const }));
      if (status === 'running' || status === 'paused' || status === 'created') {
        Object.assign(c.state, { Paused: status === 'paused', Status: status === 'paused' ? 'paused' : 'running' });
        this.monitor(c);
        continue;
      }
      const exit = (await this.ctx.runtime.exitStatus(c.id).catch(() => undefined)) ?? {
        exitCode: 255,
        exitedAt: nowIso(),
        oomKilled: false,
      };
      await this.locked(c.id, () => this.handleExit(c, exit));
    }
    // Tasks of containers that are gone: a delete cut short by a crash or a shutdown.
    for (const id of (await this.ctx.runtime.tasks?.()) ?? []) {
      if (!this.ctx.containers.find(id)) this.deleteTask(id);
    }
  }
}
