/**
 * Shared set-up for the gateway benchmarks (bench/gateway-*.ts): a private dockerd with the
 * busybox test image (from the gateway's test support), and a gateway either in this process
 * or as a separate `berth-gateway serve` process (for memory figures).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '../gateway/src/root.js';
import { type EngineProcess, startDockerd } from '../gateway/test/support/engines.js';

export { BUSYBOX_IMAGE } from '../gateway/test/support/busybox.js';
export { ShellClient } from '../gateway/test/support/shell-client.js';
export type { EngineProcess };
export { startDockerd };

export interface RemoteGateway {
  url: string;
  pid: number;
  token: string;
  client: TRPCClient<AppRouter>;
  rssKiB(): number;
  stop(): Promise<void>;
}

export function trpc(url: string, token: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

/** `berth-gateway serve` in its own process, signed in as the bootstrap admin (password changed, token made). */
export async function serveGateway(): Promise<RemoteGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-gw-'));
  const proc = spawn(
    process.execPath,
    [
      // e.g. BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the gateway
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      'gateway/bin/berth-gateway',
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
    ],
    {
      env: { ...process.env, BERTH_LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL ?? '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (c) => reject(new Error(`gateway exited ${c}: ${out}`)));
  });
  const password = /admin password: (\S+)/.exec(out)![1]!;
  const post = (path: string, body: unknown, cookie = '') =>
    fetch(`${url}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
    });
  const login = await post('auth.login', { username: 'admin', password });
  const cookie = /berth_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
  await post('auth.changePassword', { currentPassword: password, newPassword: 'benchmark password 123' }, cookie);
  const token = (
    (await (await post('tokens.create', { name: 'bench' }, cookie)).json()) as { result: { data: { token: string } } }
  ).result.data.token;
  return {
    url,
    pid: proc.pid!,
    token,
    client: trpc(url, token),
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]),
    stop: async () => {
      await new Promise((r) => {
        proc.once('exit', r);
        proc.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
