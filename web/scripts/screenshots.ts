// Regenerates docs/screenshots/*.png: starts the e2e stack (engine + gateway + Chromium), seeds
// a little realistic state, and captures the main pages at laptop and wide widths, light and dark.
//   npm run screenshots -w web        (needs `npm run build` first; BERTH_E2E_HOST_SOCKET as for e2e)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { runContainer, signIn, waitForTerminalLine } from '../test/e2e/harness/console';
import { engineRequest } from '../test/e2e/harness/engine';
import { REPO_DIR } from '../test/e2e/harness/gateway';
import { startStack } from '../test/e2e/harness/stack';

const OUT = join(REPO_DIR, 'docs/screenshots');
const LAPTOP = { width: 1440, height: 900 };
const WIDE = { width: 1920, height: 1080 };

async function seedEngine(socket: string) {
  const make = async (name: string, cmd: string[], labels: Record<string, string>, start: boolean) => {
    const r = await engineRequest(
      socket,
      'POST',
      `/containers/create?name=${name}`,
      Buffer.from(JSON.stringify({ Image: 'busybox:latest', Cmd: cmd, Labels: labels })),
      { 'Content-Type': 'application/json' },
    );
    const { Id } = JSON.parse(r.body) as { Id: string };
    if (start) await engineRequest(socket, 'POST', `/containers/${Id}/start`);
    return Id;
  };
  await make(
    'api-1',
    ['sh', '-c', 'i=0; while true; do echo "GET /v1/items $((i+=1)) 200 3ms"; sleep 1; done'],
    { app: 'api', tier: 'backend' },
    true,
  );
  await make('api-2', ['sleep', '86400'], { app: 'api', tier: 'backend' }, true);
  await make('worker', ['sh', '-c', 'while true; do echo tick >&2; sleep 2; done'], { app: 'worker' }, true);
  await make('migrate-2024', ['echo', 'migrated'], { app: 'api', job: 'migrate' }, true);
  await make('cache-warm', ['sleep', '1'], {}, false);
  const json = (b: unknown) => Buffer.from(JSON.stringify(b));
  const hdr = { 'Content-Type': 'application/json' };
  await engineRequest(socket, 'POST', '/volumes/create', json({ Name: 'api-data' }), hdr);
  await engineRequest(socket, 'POST', '/volumes/create', json({ Name: 'uploads' }), hdr);
  await engineRequest(
    socket,
    'POST',
    '/networks/create',
    json({ Name: 'backend', Driver: 'bridge', Internal: true }),
    hdr,
  ).catch(() => {});
}

async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  await page.waitForLoadState('networkidle').catch(() => {});
  // Let skeletons resolve and fonts settle before the capture.
  await page
    .waitForFunction(() => !document.querySelector('[data-state="loading"], .skeleton'), null, { timeout: 15_000 })
    .catch(() => {});
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: opts.fullPage ?? false });
  console.log(`docs/screenshots/${name}.png`);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const stack = await startStack();
  try {
    const base = stack.gateway.url;
    await seedEngine(stack.engine.socket);
    const context = await stack.browser.newContext({ viewport: LAPTOP, colorScheme: 'light' });
    const page = await context.newPage();

    await page.goto(`${base}/login`);
    await shot(page, 'login');
    await signIn(page, base, stack.gateway.adminUser, stack.gateway.adminPassword, 'screenshot-admin-pw');
    await runContainer(page, base, {
      image: 'busybox:latest',
      name: 'web',
      command: 'sleep 86400',
      env: 'PORT=8080\nMODE=production',
      memory: '256m',
    });
    const webUrl = new URL(page.url()).pathname;

    // A short recorded session for the shell list and the replay player.
    await page.goto(`${base}${webUrl}?tab=terminal`);
    await page.getByTestId('terminal-open').click();
    await page.getByTestId('recorded-marker').waitFor();
    await page.getByTestId('terminal').click();
    for (const cmd of ['echo hi', 'ls /bin | head -5', 'id']) {
      await page.keyboard.type(cmd);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(300);
    }
    await waitForTerminalLine(page, 'terminal', 'hi');
    await shot(page, 'container-terminal');
    await page.getByTestId('terminal-close').click();

    await page.goto(`${base}/users`);
    await page.getByLabel('Team name').fill('platform');
    await page.getByRole('button', { name: 'New team' }).click();
    await page.locator('[data-testid="team-card"][data-team="platform"]').waitFor();

    await page.goto(`${base}/`);
    await page.getByTestId('host-row').first().waitFor();
    await shot(page, 'dashboard');
    await page.goto(`${base}/containers`);
    await page.getByTestId('container-row').first().waitFor();
    await shot(page, 'containers');
    await page.goto(`${base}${webUrl}`);
    await shot(page, 'container-summary');
    await page.goto(`${base}/containers`);
    await page.locator('[data-testid="container-row"][data-name="api-1"] a').first().click();
    await page.getByTestId('container-name').waitFor();
    const apiUrl = new URL(page.url()).pathname;
    await page.goto(`${base}${apiUrl}?tab=logs`);
    await page.waitForTimeout(2500);
    await shot(page, 'container-logs');
    await page.goto(`${base}${apiUrl}?tab=stats`);
    await page.waitForTimeout(6000);
    await shot(page, 'container-stats');
    await page.goto(`${base}/containers/new`);
    await shot(page, 'run-container');
    for (const p of ['images', 'volumes', 'networks', 'hosts', 'users', 'audit', 'shells']) {
      await page.goto(`${base}/${p}`);
      await shot(page, p);
    }
    await page.locator('[data-testid="shell-row"] a').first().click();
    await page.getByTestId('replay-toggle').click();
    await page.waitForTimeout(2500);
    await shot(page, 'shell-replay');

    // Dark theme (system preference) and the wide layout.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${base}/`);
    await shot(page, 'dashboard-dark');
    await page.goto(`${base}/containers`);
    await shot(page, 'containers-dark');
    await page.goto(`${base}${webUrl}?tab=terminal`);
    await shot(page, 'container-terminal-dark');
    await page.setViewportSize(WIDE);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${base}/containers`);
    await shot(page, 'containers-wide');
    await context.close();
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
