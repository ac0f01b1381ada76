import type { WaitResult } from '../api/backend.js';

type Condition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: Condition;
  resolve: (r: WaitResult) => void;
}

/** Callers of `POST /containers/{id}/wait`, released on exit or removal. */
export class Waiters {
  private readonly byId = new Map<string, Set<Waiter>>();

  add(id: string, condition: Condition): Promise<WaitResult> {
    return new Promise((resolve) => {
      const set = this.byId.get(id) ?? new Set<Waiter>();
      this.byId.set(id, set);
      set.add({ condition, resolve });
    });
  }

  /** The container exited: release not-running and next-exit waiters. */
  exited(id: string, exitCode: number): void {
    this.release(id, (w) => w.condition !== 'removed', exitCode);
  }

  removed(id: string, exitCode: number): void {
    this.release(id, () => true, exitCode);
    this.byId.delete(id);
  }

  private release(id: string, which: (w: Waiter) => boolean, exitCode: number): void {
    const set = this.byId.get(id);
    if (!set) return;
    for (const w of [...set]) {
      if (!which(w)) continue;
      set.delete(w);
      w.resolve({ StatusCode: exitCode, Error: null });
    }
  }
}
