/** Only same-origin paths are accepted as a post-login destination (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

export function containerHref(hostId: string | number, id: string): string {
  return `/containers/${encodeURIComponent(String(hostId))}/${encodeURIComponent(id)}`;
}
