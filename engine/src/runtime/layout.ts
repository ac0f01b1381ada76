import { join } from 'node:path';

/**
 * Where the runtime keeps each task's state under its root. Everything needed to find a task
 * again after berthd restarts is here (live restore), named only by the task id:
 *
 *   <root>/runc/                 the OCI runtime's own state (`--root`)
 *   <root>/exits/<id>            exit code, written by conmon when the container exits
 *   <root>/tasks/<id>/task.json  how the task was created (bundle, log path, stdio flags)
 *   <root>/tasks/<id>/conmon.pid conmon's pid; the container's pid is in `pidfile`
 *   <root>/tasks/<id>/oom        created by conmon on an OOM kill (also conmon's cwd)
 *   <bundle>/attach, ctl, winsz  conmon's attach socket and control FIFOs (--full-attach)
 */
export class TaskLayout {
  constructor(readonly root: string) {}

  get runtimeRoot(): string {
    return join(this.root, 'runc');
  }

  get exitDir(): string {
    return join(this.root, 'exits');
  }

  /** conmon's --socket-dir-path; unused with --full-attach but created for conmon's sake. */
  get socketDir(): string {
    return join(this.root, 'sockets');
  }

  get tasksDir(): string {
    return join(this.root, 'tasks');
  }

  taskDir(id: string): string {
    return join(this.root, 'tasks', id);
  }

  exitFile(id: string): string {
    return join(this.exitDir, id);
  }

  record(id: string): string {
    return join(this.taskDir(id), 'task.json');
  }

  conmonPidFile(id: string): string {
    return join(this.taskDir(id), 'conmon.pid');
  }

  containerPidFile(id: string): string {
    return join(this.taskDir(id), 'pidfile');
  }

  oomFile(id: string): string {
    return join(this.taskDir(id), 'oom');
  }

  attachSocket(bundle: string): string {
    return join(bundle, 'attach');
  }

  ctlFifo(bundle: string): string {
    return join(bundle, 'ctl');
  }

  winszFifo(bundle: string): string {
    return join(bundle, 'winsz');
  }
}

/** What create() records so a later berthd can attach, resize and clean up. */
export interface TaskRecord {
  id: string;
  bundle: string;
  logPath: string;
  terminal: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  /** Path of the OCI runtime binary that created it. */
  runtime: string;
  /** Whether the task has rootfs mounts at `<bundle>/rootfs` (delete() unmounts them). */
  mountedRootfs: boolean;
  createdAt: string;
}

/** Task ids become file names and runtime ids: keep them to runc's own alphabet. */
export function validTaskId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id);
}
