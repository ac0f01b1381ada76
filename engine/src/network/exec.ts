import { execFile } from 'node:child_process';
import { EngineError } from '../errors.js';

/** Run a system tool (ip, iptables) and return its stdout; failures carry its stderr. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new EngineError('INTERNAL', `${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
