import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// Debian's chromium, never a downloaded browser build (none can be fetched here).
export const CHROMIUM = process.env.BERTH_E2E_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Extra flags for experiments (benchmarks: e.g. --use-angle=swiftshader).
      ...(process.env.BERTH_E2E_CHROMIUM_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
  });
}
