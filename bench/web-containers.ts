// Container list at scale: 1,000 containers across 20 hosts.
//  1. The pure filter+sort the table runs on every keystroke (Node, no browser).
//  2. The real console in Chromium: 20 hosts registered on the gateway (all pointing at the one
//     throwaway engine, 50 containers on it, so containers.list fans out to 20 hosts and returns
//     1,000 rows), measuring first render, per-keystroke filter latency and long tasks (jank).
// Not a test: prints numbers. Run: npx tsx bench/web-containers.ts   (after `npm run build`)
import { type ContainerRow, EMPTY_FILTER, filterContainers, sortContainers } from '../web/lib/containers';
import { signIn } from '../web/test/e2e/harness/console';
import { engineRequest } from '../web/test/e2e/harness/engine';
import { startStack } from '../web/test/e2e/harness/stack';

const HOSTS = 20;
const PER_HOST = 50;

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(2)} ms, p95 ${pct(xs, 95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;

function syntheticRows(): ContainerRow[] {
  const states = ['running', 'running', 'running', 'exited', 'paused', 'created'];
  const rows: ContainerRow[] = [];
  for (let h = 0; h < HOSTS; h++)
    for (let i = 0; i < PER_HOST; i++) {
      const id = `${h.toString(16).padStart(4, '0')}${i.toString(16).padStart(4, '0')}`.padEnd(64, 'f');
      rows.push({
        key: `host-${h}/${id}`,
        hostId: `host-${h}`,
        hostName: `node-${String(h).padStart(2, '0')}`,
        id,
        name: `svc-${i % 17}-${h}-${i}`,
        image: `registry.local/team-${i % 5}/app-${i % 9}:1.${i % 4}`,
        state: states[(h + i) % states.length] as string,
        status: 'Up 3 hours',
        created: 1_700_000_000 + h * 1000 + i,
        labels: { app: `app-${i % 9}`, tier: i % 2 ? 'web' : 'worker', team: `team-${i % 5}` },
        ports: [],
      });
    }
  return rows;
}

function pureBench() {
  const rows = syntheticRows();
  const queries = ['', 's', 'sv', 'svc', 'svc-1', 'svc-12', 'node-07', 'app-3', 'zzz'];
  const times: number[] = [];
  // Warm the JIT first: the console runs this code hot, not cold.
  for (let round = 0; round < 10; round++)
    for (const text of queries) filterContainers(rows, { ...EMPTY_FILTER, text });
  for (let round = 0; round < 50; round++)
    for (const text of queries) {
      const t0 = performance.now();
      sortContainers(filterContainers(rows, { ...EMPTY_FILTER, text, label: round % 2 ? 'tier=web' : '' }), {
        key: 'name',
        dir: 'asc',
      });
      times.push(performance.now() - t0);
    }
  console.log(`filter+sort of ${rows.length} rows (Node): ${fmt(times)}`);
  // What a keystroke costs in the console: the table sorts once per data change, then filters.
  const sorted = sortContainers(rows, { key: 'name', dir: 'asc' });
  const filterOnly: number[] = [];
  for (let round = 0; round < 50; round++)
    for (const text of queries) {
      const t0 = performance.now();
      filterContainers(sorted, { ...EMPTY_FILTER, text, label: round % 2 ? 'tier=web' : '' });
      filterOnly.push(performance.now() - t0);
    }
  console.log(`filter of ${rows.length} pre-sorted rows (per keystroke, Node): ${fmt(filterOnly)}`);
}

async function browserBench() {
  const stack = await startStack();
  try {
    const { url } = stack.gateway;
    const sock = stack.engine.socket;
    for (let i = 0; i < PER_HOST; i++) {
      await engineRequest(
        sock,
        'POST',
        `/containers/create?name=bench-${String(i).padStart(3, '0')}`,
        Buffer.from(
          JSON.stringify({
            Image: 'busybox:latest',
            Cmd: ['sleep', '1'],
            Labels: { app: `app-${i % 9}`, tier: i % 2 ? 'web' : 'worker' },
          }),
        ),
        { 'Content-Type': 'application/json' },
      );
    }
    const context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await signIn(page, url, stack.gateway.adminUser, stack.gateway.adminPassword, 'bench-admin-password');
    // 19 more hosts on the same engine, added through the API the console uses.
    for (let h = 1; h < HOSTS; h++) {
      const status = await page.evaluate(
        async ([name, socket]) =>
          (
            await fetch('/trpc/hosts.add', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ name, url: `unix://${socket}` }),
            })
          ).status,
        [`node-${String(h).padStart(2, '0')}`, sock] as const,
      );
      if (status !== 200) throw new Error(`hosts.add answered ${status}`);
    }
    // Probes of 20 hosts on one loaded machine can time out; measure once all answer.
    const deadline = Date.now() + 180_000;
    for (;;) {
      const up = await page.evaluate(async () => {
        const r = (await (await fetch('/trpc/hosts.list')).json()) as {
          result: { data: Array<{ health: { status: string } }> };
        };
        return r.result.data.filter((h) => h.health.status === 'up').length;
      });
      if (up === HOSTS) break;
      if (Date.now() > deadline) throw new Error(`only ${up} of ${HOSTS} hosts up after 3 minutes`);
      await page.waitForTimeout(2000);
    }
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    const t0 = Date.now();
    await page.goto(`${url}/containers`);
    await page
      .waitForFunction(
        (n) => document.querySelectorAll('[data-testid="container-row"]').length >= n,
        HOSTS * PER_HOST,
        {
          timeout: 60_000,
        },
      )
      .catch(async (err) => {
        const rows = await page.getByTestId('container-row').count();
        const failed = await page.getByTestId('failed-host').allTextContents();
        throw new Error(`${rows} rows after 60 s; failed hosts: ${failed.join(' | ') || 'none'}`, { cause: err });
      });
    console.log(`first render of ${HOSTS * PER_HOST} rows (navigation → rows in DOM): ${Date.now() - t0} ms`);
    await page.evaluate(() => {
      (window as unknown as { __longTasks: number[] }).__longTasks = [];
    });

    // Per keystroke: time from the key press to the frame after the row count settles.
    const search = page.getByLabel('Search containers');
    await search.click();
    const latencies: number[] = [];
    for (const word of ['bench-01', 'app', 'zzz']) {
      await search.fill('');
      await page.waitForTimeout(300);
      for (const ch of word) {
        const ms = await page.evaluate(async (c) => {
          const input = document.querySelector('input[aria-label="Search containers"]') as HTMLInputElement;
          const before = document.querySelectorAll('[data-testid="container-row"]').length;
          const start = performance.now();
          const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
          setter?.call(input, input.value + c);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          // Wait for two frames with a stable row count (deferred rendering may take a frame or two).
          let last = before;
          let stable = 0;
          while (stable < 2 && performance.now() - start < 5000) {
            await new Promise((r) => requestAnimationFrame(() => r(null)));
            const n = document.querySelectorAll('[data-testid="container-row"]').length;
            stable = n === last ? stable + 1 : 0;
            last = n;
          }
          return performance.now() - start;
        }, ch);
        latencies.push(ms);
      }
    }
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    console.log(`filter per keystroke in Chromium (to settled frame): ${fmt(latencies)}`);
    console.log(
      `long tasks (>50 ms) while typing: ${longTasks.length}${longTasks.length ? `, longest ${Math.max(...longTasks).toFixed(0)} ms` : ''}`,
    );
    await context.close();
  } finally {
    await stack.stop();
  }
}

async function main() {
  pureBench();
  if (!process.argv.includes('--pure-only')) await browserBench();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
