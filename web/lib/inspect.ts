// Helpers over containers.inspect's answer (the gateway's ContainerDetails, camelCase).
export type PortMapping = { privatePort: number; publicPort: number | null; type: string; ip: string | null };

export type ContainerDetails = {
  id: string;
  name: string;
  image: string;
  created: string;
  state: {
    status: string;
    running: boolean;
    paused: boolean;
    exitCode: number;
    pid: number;
    startedAt: string;
    finishedAt: string;
    error: string;
  };
  config: {
    cmd: string[];
    entrypoint: string[];
    env: string[];
    user: string;
    labels: Record<string, string>;
    workingDir: string;
  };
  hostConfig: { memory: number; nanoCpus: number; restartPolicy: string; networkMode: string };
  mounts: Array<{ type: string; source: string; destination: string; readOnly: boolean; name: string | null }>;
  networks: Array<{ name: string; ipAddress: string }>;
  ports: PortMapping[];
};

/** The process the container runs: entrypoint followed by cmd, as the engine would exec it. */
export function commandLine(d: Pick<ContainerDetails, 'config'>): string {
  return [...d.config.entrypoint, ...d.config.cmd].join(' ');
}

export function portBindings(d: Pick<ContainerDetails, 'ports'>): string[] {
  const out = new Set<string>();
  for (const p of d.ports) {
    out.add(
      p.publicPort
        ? `${p.ip && p.ip !== '0.0.0.0' ? `${p.ip}:` : ''}${p.publicPort}→${p.privatePort}/${p.type}`
        : `${p.privatePort}/${p.type}`,
    );
  }
  return [...out];
}

/** Env values can be secrets: the summary shows names and hides values until asked. */
export function envEntries(d: Pick<ContainerDetails, 'config'>): Array<{ key: string; value: string }> {
  return d.config.env.map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? { key: e, value: '' } : { key: e.slice(0, i), value: e.slice(i + 1) };
  });
}

/** Unix epoch (0001-01-01 in Go) means "never" in the engine's timestamps. */
export function engineTime(t: string | null | undefined): string | null {
  return !t || t.startsWith('0001-01-01') ? null : t;
}
