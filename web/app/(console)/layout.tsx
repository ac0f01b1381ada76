'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { ChangePasswordForm } from '@/components/account/ChangePasswordForm';
import { Sidebar } from '@/components/Sidebar';
import { ErrorState, LoadingBlock } from '@/components/States';
import { useMe } from '@/lib/me';
import { useTRPC } from '@/lib/trpc';

// Every console page needs a signed-in user; the gateway decides, this only routes the answer.
export default function ConsoleLayout({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const { me, user } = useMe();
  const signedOut = me.isSuccess && !user;
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace('/login');
      },
    }),
  );

  useEffect(() => {
    if (signedOut) {
      const next = pathname && pathname !== '/' ? `?next=${encodeURIComponent(pathname + window.location.search)}` : '';
      router.replace(`/login${next}`);
    }
  }, [signedOut, pathname, router]);

  if (me.isPending || signedOut) return <LoadingBlock page label="Checking your session…" />;
  if (me.isError)
    return <ErrorState page error={me.error} title="Cannot reach the Berth gateway" retry={() => me.refetch()} />;
  if (!user) return null;
  if (user.mustChangePassword) {
    return (
      <div className="login-wrap">
        <div className="login-card">
          <div className="brand" style={{ padding: 0 }}>
            <span className="brand-mark">B</span>
            Choose a new password
          </div>
          <ChangePasswordForm forced />
          <button type="button" className="btn ghost sm" onClick={() => logout.mutate()}>
            Sign out
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="shell">
      <Sidebar username={user.username} isAdmin={user.isAdmin} onSignOut={() => logout.mutate()} />
      <main className="main">{children}</main>
    </div>
  );
}
