// Roles are granted per team per host; a user's role on a host is the strongest grant among
// their teams. The global admin flag outranks every grant.
import type { Db } from '../db/client.js';
import type { SessionUser } from './sessions.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role | null): number {
  return role === null ? -1 : ROLES.indexOf(role);
}

export function atLeast(role: Role | null, needed: Role): boolean {
  return roleRank(role) >= roleRank(needed);
}

export async function roleOnHost(db: Db, user: SessionUser, hostId: string): Promise<Role | null> {
  if (user.isAdmin) return 'admin';
  const grants = await db.hostGrant.findMany({
    where: { hostId, team: { memberships: { some: { userId: user.id } } } },
    select: { role: true },
  });
  let best: Role | null = null;
  for (const g of grants) if (roleRank(g.role as Role) > roleRank(best)) best = g.role as Role;
  return best;
}

/** Every host the user holds any role on, with that role. Global admins get every host. */
export async function rolesByHost(db: Db, user: SessionUser): Promise<Map<string, Role>> {
  const result = new Map<string, Role>();
  if (user.isAdmin) {
    for (const h of await db.host.findMany({ select: { id: true } })) result.set(h.id, 'admin');
    return result;
  }
  const grants = await db.hostGrant.findMany({
    where: { team: { memberships: { some: { userId: user.id } } } },
    select: { hostId: true, role: true },
  });
  for (const g of grants) {
    const role = g.role as Role;
    if (roleRank(role) > roleRank(result.get(g.hostId) ?? null)) result.set(g.hostId, role);
  }
  return result;
}
