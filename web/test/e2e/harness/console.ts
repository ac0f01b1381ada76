// Browser steps shared by the e2e tests and the screenshot script, written the way a person
// uses the console: labels, buttons and visible text, with data-testid only for regions.
import type { Page } from 'playwright-core';

export async function signIn(page: Page, base: string, user: string, password: string, newPassword?: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // First sign-in with an initial password: the console asks for a new one before anything else.
  const forced = page.getByTestId('change-password');
  const shell = page.getByTestId('current-user');
  await forced.or(shell).first().waitFor({ timeout: 20_000 });
  if (await forced.isVisible()) {
    if (!newPassword) throw new Error(`${user} must change the password but no new one was given`);
    await page.getByLabel('Current password').fill(password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await shell.waitFor({ timeout: 20_000 });
  }
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
}

/** What the terminal in `testId` shows, read from xterm's buffer (the WebGL canvas has no DOM
 *  text); with `lastLines`, only the end of it (cheap enough to poll during a flood). */
export async function terminalText(page: Page, testId: string, lastLines?: number): Promise<string> {
  return page
    .getByTestId(testId)
    .evaluate(
      (el, n) => (el as HTMLElement & { berthBufferText?: (n?: number) => string }).berthBufferText?.(n) ?? '',
      lastLines,
    );
}

export async function waitForTerminalLine(page: Page, testId: string, line: string, timeout = 20_000) {
  const end = Date.now() + timeout;
  let text = '';
  while (Date.now() < end) {
    text = await terminalText(page, testId);
    if (text.split('\n').some((l) => l.trimEnd() === line)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal ${testId} never showed the line ${JSON.stringify(line)}; it shows:\n${text}`);
}

export type RunOptions = { image: string; name: string; command?: string; env?: string; memory?: string };

export async function runContainer(page: Page, base: string, opts: RunOptions) {
  await page.goto(`${base}/containers/new`);
  const form = page.getByTestId('run-form');
  await form.getByLabel('Image').fill(opts.image);
  await form.getByLabel('Name').fill(opts.name);
  if (opts.command) await form.getByLabel('Command').fill(opts.command);
  if (opts.env) await form.getByLabel('Environment').fill(opts.env);
  if (opts.memory) await form.getByLabel('Memory limit').fill(opts.memory);
  await form.getByRole('button', { name: 'Run' }).click();
  await page.waitForURL(/\/containers\/[^/]+\/[^/?]+/, { timeout: 30_000 });
  await page.getByTestId('container-name').filter({ hasText: opts.name }).waitFor();
}
