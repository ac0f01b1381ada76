// Runs one read against several hosts in parallel. Each host answers or fails on its own
// deadline, so the result always arrives and a down host shows as failed, not empty.
import type { Services } from '../services.js';

export interface HostResult<T> {
  hostId: string;
  hostName: string;
  ok: boolean;
  error: string | null;
  items: T[];
}

export async function fanOut<T>(
  services: Services,
  hostIds: string[],
  fn: (hostId: string) => Promise<T[]>,
): Promise<HostResult<T>[]> {
  return Promise.all(
    hostIds.map(async (hostId) => {
      const hostName = services.hosts.find(hostId)?.name ?? hostId;
      try {
        const items = await fn(hostId);
        return { hostId, hostName, ok: true, error: null, items };
      } catch (err) {
        return { hostId, hostName, ok: false, error: (err as Error).message, items: [] };
      }
    }),
  );
}
