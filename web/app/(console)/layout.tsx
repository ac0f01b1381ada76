'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import type { ReactNode } from 'react';
import { ChangePasswordForm } from '@/components/account/ChangePasswordForm';
import { Sidebar } from '@/components/Sidebar';
import { ErrorState, LoadingBlock } from '@/components/States';
import { errorCode } from '@/lib/errors';
import { useTRPC } from '@/lib/trpc';

// Every console page needs a signed-in user; the gateway decides, this only routes the answer.
export default function ConsoleLayout({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace('/login');
      },
    }),
  );

  if (me.isPending || errorCode(me.error) === 'UNAUTHORIZED') {
    return <LoadingBlock label="Checking your session…" />;
  }
  if (me.isError) {
    return <ErrorState error={me.error} title="Cannot reach the Berth gateway" retry={() => me.refetch()} />;
  }
  if (me.data.mustChangePassword) {
    return (
      <div className="login-wrap">
        <div className="login-card">
          <div className="brand" style={{ padding: 0 }}>
            <span className="brand-mark">B</span>
            Choose a new password
          </div>
          <ChangePasswordForm forced />
        </div>
      </div>
    );
  }
  return (
    <div className="shell">
      <Sidebar username={me.data.username} isAdmin={me.data.isAdmin} onSignOut={() => logout.mutate()} />
      <main className="main">{children}</main>
    </div>
  );
}
