import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DockerResult, TestDaemon } from '../support/berthd.js';

// The stock docker CLI 28 drives the classic builder (`POST /build`) with BuildKit turned off.
process.env.DOCKER_BUILDKIT = '0';

const dirs: string[] = [];

/** A build context directory with these files (paths relative, parents created). */
export function contextDir(files: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/berth-ctx-');
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

export function removeContextDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `docker build` (classic builder); the result keeps stdout and stderr. */
export function build(d: TestDaemon, dir: string, args: string[] = [], input?: string): DockerResult {
  return d.docker(['build', ...args, dir], { timeout: 180_000, ...(input !== undefined ? { input } : {}) });
}

/** `docker build` that must succeed; returns its stdout. */
export function buildOk(d: TestDaemon, dir: string, args: string[] = []): string {
  const r = build(d, dir, args);
  if (r.code !== 0) throw new Error(`docker build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The image id from the `Successfully built <id>` line. */
export function builtId(stdout: string): string {
  const m = /Successfully built ([0-9a-f]{12})/.exec(stdout);
  if (!m?.[1]) throw new Error(`no image id in:\n${stdout}`);
  return m[1];
}

// biome-ignore lint/suspicious/noExplicitAny: docker inspect JSON
export function inspect(d: TestDaemon, ref: string): any {
  return JSON.parse(d.ok(['image', 'inspect', ref]))[0];
}

export function history(d: TestDaemon, ref: string): { createdBy: string; size: string; id: string }[] {
  return d
    .ok(['history', '--no-trunc', '--format', '{{.ID}}\t{{.CreatedBy}}\t{{.Size}}', ref])
    .split('\n')
    .map((l) => {
      const [id = '', createdBy = '', size = ''] = l.split('\t');
      return { id, createdBy, size };
    });
}
