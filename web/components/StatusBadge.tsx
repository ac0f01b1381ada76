// One mapping from engine states to badge colours, so every page speaks the same visual language.
const CONTAINER_TONE: Record<string, string> = {
  running: 'ok',
  paused: 'warn',
  restarting: 'warn',
  removing: 'warn',
  created: '',
  exited: '',
  dead: 'danger',
};

export function ContainerStateBadge({ state }: { state: string }) {
  const tone = CONTAINER_TONE[state] ?? '';
  return <span className={`badge ${tone}`}>{state}</span>;
}

export function HostStatusBadge({ status }: { status: 'up' | 'down' | string | undefined }) {
  if (status === 'up') return <span className="badge ok">up</span>;
  if (status === 'down') return <span className="badge danger">down</span>;
  return <span className="badge">unknown</span>;
}

export function LiveBadge({ live }: { live: boolean }) {
  return live ? <span className="badge danger live">live</span> : <span className="badge">ended</span>;
}
