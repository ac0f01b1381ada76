// The console end to end, in real Chromium against the real gateway and a real engine:
// sign in, see the host, run a container from the form, use its terminal, find and replay the
// recorded session, and check that a viewer cannot open a terminal.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runContainer, signIn, signOut, terminalText, waitForTerminalLine } from './harness/console';
import { engineRequest } from './harness/engine';
import { WEB_DIR } from './harness/gateway';
import { startRelay } from './harness/proxy';
import { type Stack, startStack } from './harness/stack';

const ADMIN_PASSWORD = 'e2e-admin-password-1';
const VIEWER = { user: 'vera', password: 'initial-viewer-pw', newPassword: 'vera-changed-pw-1' };
const CONTAINER = 'e2e-shell-target';

let stack: Stack;
let context: BrowserContext;
let page: Page;
let base: string;
let containerUrl = '';
let sessionId = '';

beforeAll(async () => {
  stack = await startStack();
  base = stack.gateway.url;
  context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  page = await context.newPage();
});

// A failed step leaves a screenshot of what the browser showed (test/e2e/.artifacts, git-ignored).
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const dir = join(WEB_DIR, 'test/e2e/.artifacts');
  mkdirSync(dir, { recursive: true });
  await page
    .screenshot({ path: join(dir, `${ctx.task.name.replace(/\W+/g, '-')}.png`), fullPage: true })
    .catch(() => {});
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
});

describe('console', () => {
  it('signs in (changing the bootstrap password) and shows the local host as up', async () => {
    await signIn(page, base, stack.gateway.adminUser, stack.gateway.adminPassword, ADMIN_PASSWORD);
    await page.goto(`${base}/`);
    const host = page.getByTestId('host-row').first();
    await host.waitFor();
    await expect.poll(() => host.getAttribute('data-status'), { timeout: 20_000 }).toBe('up');
    expect(await host.locator('td').nth(2).textContent()).not.toBe('—'); // engine version shown
  });

  it('runs a container from the form and lists it as running', async () => {
    await runContainer(page, base, {
      image: 'busybox:latest',
      name: CONTAINER,
      command: 'sleep 3600',
      env: 'GREETING=hi',
    });
    containerUrl = new URL(page.url()).pathname;
    await page.goto(`${base}/containers`);
    const row = page.locator(`[data-testid="container-row"][data-name="${CONTAINER}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
  });

  it('opens a recorded terminal, runs echo hi and sees hi', async () => {
    await page.goto(`${base}${containerUrl}?tab=terminal`);
    await page.getByTestId('terminal-open').click();
    await page.getByTestId('recorded-marker').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 20_000 }).toBe('connected');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo hi');
    await page.keyboard.press('Enter');
    const text = await waitForTerminalLine(page, 'terminal', 'hi');
    expect(text).toContain('echo hi');
    // The renderer is recorded on the element: WebGL where available, the DOM fallback otherwise.
    expect(['webgl', 'dom']).toContain(await page.getByTestId('terminal').getAttribute('data-renderer'));
    // A narrower window refits the terminal and the shell learns the new size.
    let asked = 0;
    const size = async () => {
      // A numbered answer line, so the wait is for this question's answer and nothing older.
      const tag = `SZ${++asked}`;
      await page.keyboard.type(`echo ${tag} $(busybox stty size)`);
      await page.keyboard.press('Enter');
      const answer = new RegExp(`^${tag} (\\d+) (\\d+)$`);
      let m: RegExpExecArray | null = null;
      await expect
        .poll(
          async () => {
            const lines = (await terminalText(page, 'terminal', 6)).split('\n');
            m = lines.map((l) => answer.exec(l.trim())).find(Boolean) ?? null;
            return m !== null;
          },
          { timeout: 15_000 },
        )
        .toBe(true);
      const [, rows, cols] = m as unknown as RegExpExecArray;
      return { rows: Number(rows), cols: Number(cols) };
    };
    const before = await size();
    await page.setViewportSize({ width: 1100, height: 900 });
    await expect.poll(async () => (await size()).cols, { timeout: 15_000 }).toBeLessThan(before.cols);
    await page.setViewportSize({ width: 1440, height: 900 });
    // Close it with the button: the console says {"type":"close"} and the gateway ends the shell
    // at once (a dropped connection would keep it for a 30 s grace period instead).
    await page.getByTestId('terminal-close').click();
    await expect
      .poll(() => page.getByTestId('terminal-panel').getAttribute('data-state'), { timeout: 20_000 })
      .toBe('closed');
    await page.goto(`${base}/shells`);
    const row = page.getByTestId('shell-row').first();
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-live'), { timeout: 15_000 }).toBe('false');
  });

  it('streams logs live, searches them, and charts stats', async () => {
    const sock = stack.engine.socket;
    const created = await engineRequest(
      sock,
      'POST',
      '/containers/create?name=e2e-logger',
      Buffer.from(
        JSON.stringify({
          Image: 'busybox:latest',
          Cmd: ['sh', '-c', 'echo first-line; sleep 3; echo second-line; sleep 3600'],
        }),
      ),
      { 'Content-Type': 'application/json' },
    );
    const { Id } = JSON.parse(created.body) as { Id: string };
    await engineRequest(sock, 'POST', `/containers/${Id}/start`);
    const hostId = containerUrl.split('/')[2];
    await page.goto(`${base}/containers/${hostId}/${Id}?tab=logs`);
    const logs = page.getByTestId('log-view');
    await logs.getByText('first-line').waitFor({ timeout: 20_000 });
    // Followed: the second line arrives on the open stream.
    await logs.getByText('second-line').waitFor({ timeout: 20_000 });
    await page.getByLabel('Search logs').fill('second');
    await expect.poll(() => logs.locator('.log-line').count()).toBe(1);
    expect(await logs.locator('mark').textContent()).toBe('second');

    await page.goto(`${base}/containers/${hostId}/${Id}?tab=stats`);
    await expect
      .poll(() => page.getByTestId('stats').locator('.metric .value').first().textContent(), { timeout: 30_000 })
      .toMatch(/%$/);
  });

  it('reattaches a terminal to the same shell after the connection drops', async () => {
    // Through a relay whose connections the test can cut; cookies are per host, not per port.
    const relay = await startRelay(base);
    try {
      await page.goto(`${relay.url}${containerUrl}?tab=terminal`);
      await page.getByTestId('terminal-open').click();
      await expect.poll(() => page.getByTestId('terminal-state').textContent(), { timeout: 20_000 }).toBe('connected');
      await page.getByTestId('terminal').click();
      await page.keyboard.type('MARK=kept; echo before-$MARK');
      await page.keyboard.press('Enter');
      await waitForTerminalLine(page, 'terminal', 'before-kept');
      expect(relay.dropAll()).toBeGreaterThan(0);
      // The console notices, asks for a new ticket and reattaches within the grace period.
      const panel = page.getByTestId('terminal-panel');
      await expect.poll(() => panel.getAttribute('data-reconnects'), { timeout: 20_000 }).toBe('1');
      await expect.poll(() => panel.getAttribute('data-state'), { timeout: 20_000 }).toBe('open');
      await page.keyboard.type('echo after-$MARK');
      await page.keyboard.press('Enter');
      await waitForTerminalLine(page, 'terminal', 'after-kept');
      await page.keyboard.type('exit');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.getByTestId('terminal-panel').getAttribute('data-state'), { timeout: 20_000 })
        .toBe('exited');
    } finally {
      await relay.close();
    }
  });

  it('lists the session in shell sessions and the audit log, and replays it to show hi again', async () => {
    await page.goto(`${base}/shells`);
    // Newest first: the echo-hi session is the older of the two.
    const row = page.getByTestId('shell-row').last();
    await row.waitFor();
    sessionId = (await row.getAttribute('data-session')) ?? '';
    expect(sessionId).not.toBe('');
    await expect.poll(() => row.getAttribute('data-live'), { timeout: 20_000 }).toBe('false');

    await page.goto(`${base}/audit?action=shells.open`);
    await page.locator('[data-testid="audit-row"][data-action="shells.open"]').first().waitFor();
    await page.goto(`${base}/audit?action=shells.end`);
    await page.locator('[data-testid="audit-row"][data-action="shells.end"]').first().waitFor();

    await page.goto(`${base}/shells/${sessionId}`);
    const player = page.getByTestId('replay-player');
    await expect.poll(() => player.getAttribute('data-ready'), { timeout: 20_000 }).toBe('true');
    await page.getByTestId('replay-toggle').click();
    await waitForTerminalLine(page, 'replay-terminal', 'hi', 30_000);
    // Seeking back to the start clears the screen; playing again brings the output back.
    await page.getByTestId('replay-seek').evaluate((el) => {
      // React listens for input events; set the value through the native setter like a drag would.
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(el, '0');
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await terminalText(page, 'replay-terminal')).not.toContain('echo hi');
  });

  it('verifies the audit chain', async () => {
    await page.goto(`${base}/audit`);
    await page.getByTestId('audit-verify').click();
    await expect
      .poll(() => page.getByTestId('audit-verify-result').textContent(), { timeout: 20_000 })
      .toMatch(/^intact/);
  });

  it('uploads a root filesystem and an image archive with a progress bar', async () => {
    // An archive of the engine's own busybox, re-tagged so the load visibly adds something.
    const sock = stack.engine.socket;
    await engineRequest(sock, 'POST', '/images/busybox:latest/tag?repo=e2e/loaded&tag=1');
    const saved = await engineRequest(sock, 'GET', '/images/e2e/loaded:1/get');
    expect(saved.status).toBe(200);
    await engineRequest(sock, 'DELETE', '/images/e2e/loaded:1');
    const archive = join(stack.dir, 'loaded.tar');
    writeFileSync(archive, saved.raw);

    await page.goto(`${base}/images`);
    const upload = page.getByTestId('image-import');
    await upload.getByLabel('Upload kind').selectOption('import');
    await upload.getByLabel('Import as').fill('e2e/rootfs:1');
    // Loopback is too fast to watch a bar move: throttle the upload to ~512 KiB/s.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 512 * 1024,
    });
    await page.locator('#image-tar').setInputFiles(join(stack.dir, 'busybox-rootfs.tar'));
    // The bar moves while the browser sends the tar (XHR upload progress events) …
    const seen = new Set<number>();
    const bar = page.getByRole('progressbar', { name: 'Upload progress' });
    while (!(await page.getByTestId('image-import-result').isVisible())) {
      const v = await bar.getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null);
      if (v !== null) seen.add(Number(v));
      await page.waitForTimeout(50);
    }
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
    // … and the engine's answer replaces it.
    expect(await page.getByTestId('image-import-result').getAttribute('class')).toContain('ok');
    await page.locator('[data-testid="image-row"]', { hasText: 'e2e/rootfs:1' }).waitFor();

    await upload.getByLabel('Upload kind').selectOption('load');
    await page.locator('#image-tar').setInputFiles(archive);
    await expect
      .poll(() => page.getByTestId('image-import-result').textContent(), { timeout: 30_000 })
      .toContain('e2e/loaded:1');
    await page.locator('[data-testid="image-row"]', { hasText: 'e2e/loaded:1' }).waitFor();
  });

  it('shows an unreachable host as failed, not as an empty list', async () => {
    await page.goto(`${base}/hosts`);
    await page.getByRole('button', { name: 'Add host' }).click();
    await page.getByLabel('Name').fill('ghost');
    await page.getByLabel('Engine endpoint').fill('unix:///nonexistent/berthd.sock');
    await page.getByRole('button', { name: 'Add host', exact: true }).last().click();
    await page.getByRole('link', { name: 'ghost' }).waitFor();
    await page.goto(`${base}/containers`);
    const failed = page.getByTestId('failed-host');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.textContent()).toMatch(/ghost failed/);
    // The reachable host's containers are still listed next to the failure.
    await page.locator(`[data-testid="container-row"][data-name="${CONTAINER}"]`).waitFor();
  });

  it('does not let a viewer open a terminal', async () => {
    // Admin: create the user, a team, and grant the team viewer on the host.
    await page.goto(`${base}/users`);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Username').fill(VIEWER.user);
    await page.getByLabel('Initial password').fill(VIEWER.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator(`[data-testid="user-row"][data-user="${VIEWER.user}"]`).waitFor();
    await page.getByLabel('Team name').fill('watchers');
    await page.getByRole('button', { name: 'New team' }).click();
    const team = page.locator('[data-testid="team-card"][data-team="watchers"]');
    await team.waitFor();
    await team.getByLabel('User to add').selectOption({ label: VIEWER.user });
    await team.getByRole('button', { name: 'Add', exact: true }).click();
    await team.getByText(VIEWER.user).first().waitFor();
    await team.getByLabel('Host to grant').selectOption({ label: 'local' });
    await team.getByLabel('Role').selectOption('viewer');
    await team.getByRole('button', { name: 'Grant' }).click();
    await team.locator('.badge', { hasText: 'viewer' }).waitFor();
    await signOut(page);

    await signIn(page, base, VIEWER.user, VIEWER.password, VIEWER.newPassword);
    await page.goto(`${base}${containerUrl}?tab=terminal`);
    await page.getByTestId('terminal-denied').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('terminal-denied').textContent()).toMatch(/role on this host is viewer/);
    expect(await page.getByTestId('terminal-open').isDisabled()).toBe(true);
    // Nor are lifecycle buttons offered to a viewer.
    expect(await page.getByTestId('container-actions').count()).toBe(0);
    // The console only mirrors the rule: the gateway itself refuses a viewer's shells.open.
    const hostId = containerUrl.split('/')[2];
    const containerId = containerUrl.split('/')[3];
    const status = await page.evaluate(
      async (input) =>
        (
          await fetch('/trpc/shells.open', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(input),
          })
        ).status,
      { hostId: decodeURIComponent(hostId ?? ''), containerId: decodeURIComponent(containerId ?? ''), cmd: ['sh'] },
    );
    expect(status).toBe(403);
    expect(await page.getByTestId('recorded-marker').count()).toBe(0);
  });
});
