// `cat` of 50 MB through the browser terminal (xterm in Chromium ← WebSocket ← gateway ← engine
// exec) against `docker exec -t` of the same file straight from the engine, on the same host.
// Not a test: prints the two times and the ratio.
// Measured 2026-11-29, 50 MB, 2 cores at load 2.4, headless Chromium without GPU, a throwaway
// berthd as the host: docker exec -t 1.67 s; WebSocket only 3.09x; terminal, automatic renderer
// (DOM here) 5.56x; WebGL forced (software-drawn) 23.8x.
//   npx tsx bench/web-terminal.ts [--mb 50]      (after `npm run build`; BERTH_E2E_HOST_SOCKET as for e2e)
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { signIn, terminalText } from '../web/test/e2e/harness/console';
import { engineRequest } from '../web/test/e2e/harness/engine';
import { startStack } from '../web/test/e2e/harness/stack';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '50' }, timeout: { type: 'string', default: '600' } },
});
const BYTES = Number(values.mb) * 1024 * 1024;

function docker(socket: string, args: string[], sink = false): Promise<{ code: number; bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('docker', ['-H', `unix://${socket}`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      if (!sink) process.stdout.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, bytes, ms: performance.now() - t0 }));
  });
}

async function main() {
  const stack = await startStack();
  // Interrupted (Ctrl+C, a timeout): the engine, gateway and browser still go, with their dirs.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`${signal}: stopping the stack`);
      void stack.stop().finally(() => process.exit(130));
    });
  const sock = stack.engine.socket;
  let Id = '';
  try {
    const created = await engineRequest(
      sock,
      'POST',
      `/containers/create?name=bench-cat-${process.pid}`,
      Buffer.from(JSON.stringify({ Image: 'busybox:latest', Cmd: ['sleep', '86400'] })),
      { 'Content-Type': 'application/json' },
    );
    ({ Id } = JSON.parse(created.body) as { Id: string });
    await engineRequest(sock, 'POST', `/containers/${Id}/start`);
    const line = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy';
    const gen = await docker(sock, ['exec', Id, 'sh', '-c', `yes ${line} | head -c ${BYTES} > /tmp/big`]);
    if (gen.code !== 0) throw new Error('could not create the test file');

    // Baseline: the docker CLI with a TTY, output drained as fast as it arrives.
    const base = await docker(sock, ['exec', '-t', Id, 'cat', '/tmp/big'], true);
    console.log(
      `docker exec -t cat: ${(base.ms / 1000).toFixed(2)} s for ${(base.bytes / 1048576).toFixed(1)} MiB (tty output)`,
    );

    const { url } = stack.gateway;
    let signedIn = false;

    // The same bytes into the same browser over the same WebSocket, without a terminal: splits
    // the browser's cost into transport and xterm.
    {
      const context = await stack.browser.newContext();
      const page = await context.newPage();
      await signIn(page, url, stack.gateway.adminUser, stack.gateway.adminPassword, 'bench-admin-password');
      signedIn = true;
      const ms = await page.evaluate(
        async ([containerId, limitMs]) => {
          const hosts = (await (await fetch('/trpc/hosts.list')).json()) as { result: { data: Array<{ id: string }> } };
          const res = await fetch('/trpc/shells.open', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ hostId: hosts.result.data[0]?.id, containerId, cmd: ['/bin/sh'] }),
          });
          const { ticket } = ((await res.json()) as { result: { data: { ticket: string } } }).result.data;
          const ws = new WebSocket(`ws://${location.host}/ws/shell?ticket=${ticket}`);
          ws.binaryType = 'arraybuffer';
          const dec = new TextDecoder();
          let tail = '';
          let t0 = 0;
          return await new Promise<number>((resolve) => {
            setTimeout(() => resolve(Number.NaN), limitMs);
            ws.onopen = () => {
              // The gateway starts the exec once it knows the terminal size, as the console sends it.
              ws.send(JSON.stringify({ type: 'resize', cols: 160, rows: 48 }));
              setTimeout(() => {
                t0 = performance.now();
                ws.send(new TextEncoder().encode('cat /tmp/big; echo; echo CAT-$((40+2))\r'));
              }, 300);
            };
            ws.onmessage = (ev) => {
              if (typeof ev.data === 'string') return;
              tail = (tail + dec.decode(ev.data as ArrayBuffer)).slice(-100);
              if (t0 && /\nCAT-42/.test(tail)) {
                ws.send(new TextEncoder().encode('exit\r'));
                resolve(performance.now() - t0);
              }
            };
          });
        },
        [Id, Number(values.timeout) * 1000] as const,
      );
      console.log(
        Number.isNaN(ms)
          ? `browser WebSocket only, no terminal: did not finish within ${values.timeout} s`
          : `browser WebSocket only, no terminal: ${(ms / 1000).toFixed(2)} s — ${(ms / base.ms).toFixed(2)}x docker exec -t`,
      );
      await context.close();
    }
    // auto: what a user gets (WebGL with a GPU, the DOM renderer when WebGL is software-drawn);
    // then each renderer forced.
    for (const renderer of (process.env.BENCH_RENDERERS ?? 'auto,dom,webgl').split(',')) {
      const context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 } });
      // The console's renderer preference (lib/xterm.ts): 'dom' or 'webgl' forced, else automatic.
      await context.addInitScript((r) => localStorage.setItem('berth-terminal-renderer', r), renderer);
      const page = await context.newPage();
      if (!signedIn)
        await signIn(page, url, stack.gateway.adminUser, stack.gateway.adminPassword, 'bench-admin-password');
      else await signIn(page, url, stack.gateway.adminUser, 'bench-admin-password');
      signedIn = true;
      const hosts = await page.evaluate(
        async () => (await (await fetch('/trpc/hosts.list')).json()) as { result: { data: Array<{ id: string }> } },
      );
      await page.goto(`${url}/containers/${hosts.result.data[0]?.id}/${Id}?tab=terminal`);
      await page.getByTestId('terminal-open').click();
      await page.getByTestId('recorded-marker').waitFor();
      await page.waitForFunction(
        () => document.querySelector('[data-testid="terminal-state"]')?.textContent === 'connected',
      );
      const used = await page.getByTestId('terminal').getAttribute('data-renderer');
      await page.getByTestId('terminal').click();
      // The marker is computed by the shell, so the typed command line never contains it; the
      // extra echo ends the file's last partial line.
      await page.keyboard.type('cat /tmp/big; echo; echo CAT-$((40+2))');
      const t0 = performance.now();
      await page.keyboard.press('Enter');
      for (;;) {
        const text = await terminalText(page, 'terminal', 5);
        if (text.split('\n').some((l) => l.trimEnd() === 'CAT-42')) break;
        if (performance.now() - t0 > Number(values.timeout) * 1000) {
          const state = await page.getByTestId('terminal-state').textContent();
          throw new Error(`terminal (${state}) never finished the cat; it ends with:\n${text}`);
        }
        await page.waitForTimeout(100);
      }
      const ms = performance.now() - t0;
      console.log(
        `browser terminal cat (${renderer}: ${used} renderer): ${(ms / 1000).toFixed(2)} s — ${(ms / base.ms).toFixed(2)}x docker exec -t`,
      );
      await page.keyboard.type('exit');
      await page.keyboard.press('Enter');
      await context.close();
    }
  } finally {
    // The engine may be an external one (BERTH_E2E_HOST_SOCKET): leave nothing on it.
    if (Id) await engineRequest(sock, 'DELETE', `/containers/${Id}?force=1`).catch(() => undefined);
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
