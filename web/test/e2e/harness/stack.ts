// The whole stack for browser tests and screenshots: an engine, the gateway serving the built
// console, and Chromium. Everything lives in one temp dir that is removed on stop unless
// BERTH_E2E_KEEP=1 (then the logs stay for a post-mortem).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';
import { type Engine, startEngine } from './engine';
import { type Gateway, startGateway } from './gateway';

export type Stack = { dir: string; engine: Engine; gateway: Gateway; browser: Browser; stop: () => Promise<void> };

export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  mkdirSync(join(dir, 'gateway'), { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    if (process.env.BERTH_E2E_KEEP === '1') console.log(`e2e artifacts kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    const engine = await startEngine(dir);
    stops.push(engine.stop);
    const gateway = await startGateway({
      dataDir: join(dir, 'gateway'),
      hostSocket: engine.socket,
      logFile: join(dir, 'gateway.log'),
    });
    stops.push(gateway.stop);
    const browser = await launchBrowser();
    stops.push(() => browser.close());
    return { dir, engine, gateway, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
