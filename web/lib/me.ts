'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc';

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function atLeast(held: Role | null | undefined, needed: Role): boolean {
  return held != null && RANK[held] >= RANK[needed];
}

/** The signed-in user and their role per host (auth.me). The gateway still checks every call;
 *  the console uses roles only to not offer what would be refused. */
export function useMe() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const roles = new Map((me.data?.hosts ?? []).map((h) => [h.hostId, h.role as Role]));
  return {
    me,
    user: me.data?.user ?? null,
    roleOn: (hostId: string): Role | null => (me.data?.user?.isAdmin ? 'admin' : (roles.get(hostId) ?? null)),
  };
}
