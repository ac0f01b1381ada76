'use client';
import { useQuery } from '@tanstack/react-query';
import { PageHead } from '@/components/PageHead';
import { TeamsCard } from '@/components/users/TeamsCard';
import { UsersCard } from '@/components/users/UsersCard';
import { useTRPC } from '@/lib/trpc';

export default function UsersPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  return (
    <>
      <PageHead title="Users & teams" sub="Who can sign in, and which role each team holds on which host." />
      <UsersCard meId={me.data?.user?.id ?? ''} />
      <TeamsCard />
    </>
  );
}
