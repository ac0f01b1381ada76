import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { conmonExec } from './exec-conmon.js';
import { runcExec } from './exec-runc.js';
import type { ExecOptions, ExecProcess } from './exec-types.js';
import { validTaskId } from './layout.js';

export interface ExecEnvironment {
  runtimePath: string;
  conmonPath: string;
  /** The OCI runtime's --root. */
  runtimeRoot: string;
  /** Where each exec's state directory goes: `<root>/exec/<exec id>/`. */
  execRoot: string;
}

/**
 * Run a process in a running task. Attached execs without a terminal are `runc exec` children of
 * berthd (exec-runc.ts says why); TTY and detached execs run under conmon (exec-conmon.ts). The
 * exec's state directory is removed once the process has exited.
 */
export async function startExec(env: ExecEnvironment, containerId: string, opts: ExecOptions): Promise<ExecProcess> {
  if (!validTaskId(opts.execId))
    throw new EngineError('BAD_PARAMETER', `invalid exec id ${JSON.stringify(opts.execId)}`);
  if (opts.process.args.length === 0) throw new EngineError('BAD_PARAMETER', 'No exec command specified');
  const dir = join(env.execRoot, opts.execId);
  const terminal = opts.process.terminal === true;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'exits'), { recursive: true });
  await writeFile(join(dir, 'process.json'), JSON.stringify(opts.process));
  let proc: ExecProcess;
  try {
    proc =
      terminal || opts.detach
        ? await conmonExec({
            conmonPath: env.conmonPath,
            runtimePath: env.runtimePath,
            runtimeRoot: env.runtimeRoot,
            containerId,
            execId: opts.execId,
            dir,
            terminal,
            stdin: opts.stdin && !opts.detach,
            detach: opts.detach,
          })
        : await runcExec({
            runtimePath: env.runtimePath,
            runtimeRoot: env.runtimeRoot,
            containerId,
            dir,
            stdin: opts.stdin,
          });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  void proc.exited.finally(() => rm(dir, { recursive: true, force: true }).catch(() => undefined));
  return proc;
}
