/**
 * Back-pressure for conmon's attach socket. Node cannot stop reading that socket (seqpacket.ts),
 * but conmon honours a reader that does not read: its writes block, it stops draining the pty, and
 * the process blocks on its terminal — what a slow reader of dockerd gets. So while an attached
 * reader is far behind, its conmon is stopped (SIGSTOP) and continued once the reader caught up.
 * A stopped conmon delays nothing else that matters: input, resizes and the exit are handled when
 * it continues. Holds are counted per conmon (several clients may attach to one container).
 */

const holds = new Map<number, number>();

function signal(pid: number, sig: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone: nothing to hold back
  }
}

/** One reader's hold on one conmon; the pid may become known after the reader started. */
export class ConmonThrottle {
  private held = false;

  constructor(private pid?: number) {}

  setPid(pid: number): void {
    if (this.pid !== undefined || !(pid > 0)) return;
    this.pid = pid;
    if (this.held) acquire(pid);
  }

  hold(): void {
    if (this.held) return;
    this.held = true;
    if (this.pid !== undefined) acquire(this.pid);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.pid !== undefined) releasePid(this.pid);
  }
}

function acquire(pid: number): void {
  const n = holds.get(pid) ?? 0;
  holds.set(pid, n + 1);
  if (n === 0) signal(pid, 'SIGSTOP');
}

function releasePid(pid: number): void {
  const n = holds.get(pid) ?? 0;
  if (n <= 1) {
    holds.delete(pid);
    signal(pid, 'SIGCONT');
  } else holds.set(pid, n - 1);
}

/** After a restart of berthd: a conmon it had stopped when it went down runs again. */
export function continueConmon(pid: number): void {
  if (!holds.has(pid)) signal(pid, 'SIGCONT');
}
