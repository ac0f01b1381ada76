// The fields of the engine's container inspect document that the summary shows. The gateway
// passes the engine's JSON through, so this mirrors Docker's ContainerJSON names.
export type InspectDoc = {
  Id: string;
  Name?: string;
  Created?: string;
  Path?: string;
  Args?: string[];
  State?: {
    Status?: string;
    Running?: boolean;
    Paused?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    Error?: string;
    Pid?: number;
  };
  Image?: string;
  RestartCount?: number;
  Config?: {
    Image?: string;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    User?: string;
    WorkingDir?: string;
    Tty?: boolean;
  };
  HostConfig?: {
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    Memory?: number;
    NanoCpus?: number;
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    Binds?: string[] | null;
    NetworkMode?: string;
  };
  Mounts?: Array<{ Type?: string; Name?: string; Source?: string; Destination?: string; RW?: boolean }>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null };
};

export function commandLine(doc: InspectDoc): string {
  return [doc.Path, ...(doc.Args ?? [])].filter(Boolean).join(' ');
}

export function portBindings(doc: InspectDoc): string[] {
  const out: string[] = [];
  for (const [containerPort, binds] of Object.entries(doc.HostConfig?.PortBindings ?? {})) {
    for (const b of binds ?? []) out.push(`${b.HostIp ? `${b.HostIp}:` : ''}${b.HostPort ?? ''}→${containerPort}`);
  }
  return out;
}

export function restartPolicy(doc: InspectDoc): string {
  const p = doc.HostConfig?.RestartPolicy;
  if (!p?.Name || p.Name === 'no') return 'no';
  return p.Name === 'on-failure' && p.MaximumRetryCount ? `on-failure:${p.MaximumRetryCount}` : p.Name;
}

/** Env values can be secrets: the summary shows names and hides values until asked. */
export function envEntries(doc: InspectDoc): Array<{ key: string; value: string }> {
  return (doc.Config?.Env ?? []).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? { key: e, value: '' } : { key: e.slice(0, i), value: e.slice(i + 1) };
  });
}
