import { type FSWatcher, watch } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Tells when conmon has written `<exit-dir>/<id>`. One inotify watch on the directory serves every
 * waiter (conmon writes the file with g_file_set_contents: a temp file renamed into place, so the
 * name appears only with its content). The watch is open only while someone waits.
 */
export class ExitMonitor {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly dir: string) {}

  /**
   * Resolves true once the exit file exists, or false after `timeoutMs` (if given) without it.
   * Checks the file after the watch is in place, so an exit just before the call is not missed.
   */
  async whenExited(id: string, timeoutMs?: number): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (exited: boolean) => {
        clearTimeout(timer);
        this.removeWaiter(id, onExit);
        resolve(exited);
      };
      const onExit = () => settle(true);
      this.addWaiter(id, onExit);
      if (timeoutMs !== undefined) timer = setTimeout(() => settle(false), timeoutMs);
      this.check(id);
    });
  }

  private addWaiter(id: string, fn: () => void): void {
    let set = this.waiters.get(id);
    if (!set) {
      set = new Set();
      this.waiters.set(id, set);
    }
    set.add(fn);
    this.ensureWatcher();
  }

  private removeWaiter(id: string, fn: () => void): void {
    const set = this.waiters.get(id);
    set?.delete(fn);
    if (set && set.size === 0) this.waiters.delete(id);
    if (this.waiters.size === 0 && this.watcher) {
      this.watcher.close();
      this.watcher = undefined;
    }
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    this.watcher = watch(this.dir, (_event, filename) => {
      // Without a name (queue overflow) any waiter may be done.
      if (filename === null) for (const id of this.waiters.keys()) this.check(id);
      else if (this.waiters.has(filename)) this.check(filename);
    });
    this.watcher.on('error', () => {
      // Reopen on the next wait; the timeout in callers' loops covers the gap.
      this.watcher?.close();
      this.watcher = undefined;
    });
  }

  private check(id: string): void {
    access(join(this.dir, id)).then(
      () => {
        for (const fn of [...(this.waiters.get(id) ?? [])]) fn();
      },
      () => {},
    );
  }
}
