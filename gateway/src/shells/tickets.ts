// One-time shell tickets: what shells.open/reattach hand the browser to open the shell
// WebSocket with. A ticket is bound to a user, host, container and command (or to one live
// session, for a reattach), is valid for 30 s, works once, and is kept only as a hash.
import { newSecret, sha256 } from '../auth/secrets.js';

export interface TicketClaims {
  kind: 'open' | 'reattach';
  sessionId: string;
  userId: string;
  hostId: string;
  containerId: string;
  cmd: string[];
  execUser: string | null;
}

export const TICKET_TTL_MS = 30_000;

export class TicketStore {
  private readonly tickets = new Map<string, { claims: TicketClaims; expires: number }>();

  constructor(private readonly ttlMs = TICKET_TTL_MS) {}

  issue(claims: TicketClaims): { ticket: string; expiresAt: Date } {
    this.sweep();
    const ticket = newSecret('bst_');
    const expires = Date.now() + this.ttlMs;
    this.tickets.set(sha256(ticket), { claims, expires });
    return { ticket, expiresAt: new Date(expires) };
  }

  /** The ticket's claims, if it is valid; either way it can never be used again. */
  consume(ticket: string): TicketClaims | null {
    const key = sha256(ticket);
    const entry = this.tickets.get(key);
    this.tickets.delete(key);
    if (!entry || entry.expires <= Date.now()) return null;
    return entry.claims;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, v] of this.tickets) if (v.expires <= now) this.tickets.delete(k);
  }
}
