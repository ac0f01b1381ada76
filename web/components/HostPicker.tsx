'use client';
import { useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { useTRPC } from '@/lib/trpc';

/** Per-host resources (images, volumes, networks) are browsed one host at a time; the host is
 *  kept in `?host=` so a link points at the same view. Returns the chosen host. */
export function useHostChoice() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const wanted = params.get('host');
  const list = hosts.data ?? [];
  const chosen = list.find((h) => h.id === wanted) ?? list.find((h) => h.health?.status === 'up') ?? list[0];

  useEffect(() => {
    if (chosen && chosen.id !== wanted)
      router.replace(`${pathname}?host=${encodeURIComponent(chosen.id)}`, { scroll: false });
  }, [chosen, wanted, pathname, router]);

  const select = (id: string) => router.replace(`${pathname}?host=${encodeURIComponent(id)}`, { scroll: false });
  return { hosts, list, chosen, select };
}

export function HostPicker({
  list,
  value,
  onChange,
}: {
  list: Array<{ id: string; name: string; health?: { status?: string } | null }>;
  value: string | undefined;
  onChange: (id: string) => void;
}) {
  return (
    <select className="select" aria-label="Host" value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
      {list.map((h) => (
        <option key={h.id} value={h.id}>
          {h.name}
          {h.health?.status === 'down' ? ' (down)' : ''}
        </option>
      ))}
    </select>
  );
}
