// Failed sign-ins are limited per (username, client address): MAX_FAILURES inside WINDOW_MS locks
// that pair out until the oldest failure leaves the window. In memory, per gateway process (a
// scaled-out deployment limits per instance; the audit trail still records every attempt).
import { Errors } from '../errors.js';

export interface LoginLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: LoginLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = opts.windowMs ?? 15 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  private key(username: string, ip: string | null): string {
    return `${username.toLowerCase()}\u0000${ip ?? '?'}`;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Throws RATE_LIMITED while the pair is locked out. */
  check(username: string, ip: string | null): void {
    const list = this.recent(this.key(username, ip));
    if (list.length >= this.maxFailures) {
      const retryMs = list[0]! + this.windowMs - this.now();
      throw Errors.RATE_LIMITED(Math.max(1, Math.ceil(retryMs / 1000)));
    }
  }

  fail(username: string, ip: string | null): void {
    const key = this.key(username, ip);
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
  }

  succeed(username: string, ip: string | null): void {
    this.failures.delete(this.key(username, ip));
  }
}
