// Checks the harness's host before the console tests lean on it: the engine answers, the
// busybox image was imported, and a container from it runs and prints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, engineRequest, startEngine } from './harness/engine';

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-e2e-engine-'));
  engine = await startEngine(dir);
});
afterAll(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('e2e host', () => {
  it('has busybox:latest and runs a container from it', async () => {
    const img = await engineRequest(engine.socket, 'GET', '/images/busybox:latest/json');
    expect(img.status).toBe(200);
    const create = await engineRequest(
      engine.socket,
      'POST',
      '/containers/create?name=harness-check',
      Buffer.from(
        JSON.stringify({ Image: 'busybox:latest', Cmd: ['echo', 'harness-ok'], HostConfig: { NetworkMode: 'none' } }),
      ),
      { 'Content-Type': 'application/json' },
    );
    expect(create.status).toBe(201);
    const { Id } = JSON.parse(create.body) as { Id: string };
    expect((await engineRequest(engine.socket, 'POST', `/containers/${Id}/start`)).status).toBe(204);
    const wait = await engineRequest(engine.socket, 'POST', `/containers/${Id}/wait`);
    expect(JSON.parse(wait.body)).toMatchObject({ StatusCode: 0 });
    const logs = await engineRequest(engine.socket, 'GET', `/containers/${Id}/logs?stdout=1`);
    expect(logs.body).toContain('harness-ok');
    await engineRequest(engine.socket, 'DELETE', `/containers/${Id}?force=1`);
  });
});
