import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ConmonRuntime } from '../../src/runtime/index.js';
import type { CreateTaskOptions } from '../../src/runtime/types.js';
import { type BundleOptions, makeBundle, makeBusyboxRootfs } from './fixture.js';

/**
 * Per-file setup for runtime tests: a temp root, one busybox rootfs, a ConmonRuntime, and
 * cleanup that deletes every task (runc delete, unmount) and kills any conmon left behind.
 */
export interface Harness {
  dir: string;
  root: string;
  rootfs: string;
  runtime: ConmonRuntime;
  /** Create (not start) a task running `args`; it is deleted after the test. */
  create(
    id: string,
    opts: BundleOptions & Partial<Pick<CreateTaskOptions, 'stdin' | 'stdinOnce'>>,
  ): Promise<{ pid: number; logPath: string; bundle: string }>;
  /** A new ConmonRuntime on the same root, as after a berthd restart. */
  restart(): ConmonRuntime;
}

export const silentLog = pino({ level: 'silent' });

let seq = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

export function useRuntimeHarness(): Harness {
  const ids = new Set<string>();
  const h = {} as Harness;
  beforeAll(async () => {
    h.dir = await mkdtemp(join(tmpdir(), 'berth-runtime-'));
    h.root = join(h.dir, 'runtime');
    h.rootfs = await makeBusyboxRootfs(h.dir);
    h.runtime = new ConmonRuntime({ root: h.root, log: silentLog });
    h.restart = () => {
      h.runtime = new ConmonRuntime({ root: h.root, log: silentLog });
      return h.runtime;
    };
    h.create = async (id, opts) => {
      const { bundle, rootfs } = await makeBundle(h.dir, id, h.rootfs, opts);
      const logPath = join(h.dir, 'logs', `${id}.log`);
      ids.add(id);
      const { pid } = await h.runtime.create({
        id,
        bundle,
        rootfs,
        terminal: opts.terminal ?? false,
        stdin: opts.stdin ?? false,
        stdinOnce: opts.stdinOnce ?? true,
        logPath,
      });
      return { pid, logPath, bundle };
    };
  });
  afterEach(async () => {
    for (const id of ids) await h.runtime.delete(id, { force: true });
    ids.clear();
  });
  afterAll(async () => {
    await killLeftoverConmons(h.root);
    await removeTestCgroups();
    await rm(h.dir, { recursive: true, force: true });
  });
  return h;
}

/**
 * runc removes each container's cgroup, not the parent the fixture puts them under. Best effort:
 * rmdir fails (EBUSY) while another test's container still uses it.
 */
async function removeTestCgroups(): Promise<void> {
  let controllers: string[] = [];
  try {
    controllers = await readdir('/sys/fs/cgroup');
  } catch {
    return;
  }
  await Promise.all(controllers.map((c) => rmdir(join('/sys/fs/cgroup', c, 'berth-test')).catch(() => undefined)));
}

/** Belt and braces: a failed test must not leave conmon (or its container) running. */
async function killLeftoverConmons(root: string): Promise<void> {
  let tasks: string[] = [];
  try {
    tasks = await readdir(join(root, 'tasks'));
  } catch {
    return;
  }
  for (const id of tasks) {
    try {
      const pid = Number(await readFile(join(root, 'tasks', id, 'conmon.pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
