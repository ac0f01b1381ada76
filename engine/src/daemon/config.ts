import { EngineError } from '../errors.js';
import type { HostConfig } from '../types/docker.js';

const RESTART_POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** Reject host configs dockerd would reject, before anything is created. */
export function validateHostConfig(hc: HostConfig): void {
  const policy = hc.RestartPolicy?.Name ?? '';
  if (!RESTART_POLICIES.has(policy)) throw new EngineError('BAD_PARAMETER', `invalid restart policy '${policy}'`);
  if (hc.AutoRemove && policy !== '' && policy !== 'no') {
    throw new EngineError('BAD_PARAMETER', "can't create 'AutoRemove' container with restart policy");
  }
  if ((hc.RestartPolicy?.MaximumRetryCount ?? 0) < 0)
    throw new EngineError('BAD_PARAMETER', 'maximum retry count cannot be negative');
  if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < 6 * 1024 * 1024) {
    throw new EngineError('BAD_PARAMETER', 'Minimum memory limit allowed is 6MB');
  }
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) {
    throw new EngineError('BAD_PARAMETER', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  for (const [path] of Object.entries(hc.Tmpfs ?? {})) {
    if (!path.startsWith('/'))
      throw new EngineError('BAD_PARAMETER', `invalid mount path: '${path}' mount path must be absolute`);
  }
}
