/**
 * Test files that failed on the shared 2-core machine at the end of the 2026-11-28 session
 * (load average 13–17 while eight engineers ran suites side by side) and could not be
 * re-verified before it ended. CI (CI=true) leaves them out; a plain `npm test` runs them.
 * Each names the open issue it belongs to. Remove an entry as soon as its file passes in CI.
 */
export const QUARANTINE = {
  engine: [] as string[],
  gateway: [] as string[],
};

export function quarantined(workspace: keyof typeof QUARANTINE): string[] {
  return process.env.CI ? QUARANTINE[workspace] : [];
}
