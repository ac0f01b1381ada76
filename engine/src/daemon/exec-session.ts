import type { OutputFrame, StreamIO } from '../api/backend.js';
import type { ExecProcess } from '../runtime/exec-types.js';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';
import type { Recording } from './recording.js';

export interface ExecSessionOptions {
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys: string;
  recording?: Recording;
  /** Settles once the exit code is recorded. */
  exited: Promise<number>;
}

/**
 * Pipes a started exec to its client until one of:
 * - the process is done (output drained, exit code recorded): the client's stream ends;
 * - the client typed the detach keys (TTY): the stream ends, the process runs on;
 * - the client is gone (its socket closed): hang up — stdin closed, SIGHUP for a TTY.
 * Back-pressure both ways: a client slow to read pauses the process's output (see runtime exec),
 * a process slow to read its stdin pauses the client's socket.
 */
export function pipeExecSession(proc: ExecProcess, io: StreamIO, o: ExecSessionOptions): Promise<void> {
  const { output: procOut, stdin } = proc;
  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = (how: 'done' | 'detach' | 'gone') => {
      if (finished) return;
      finished = true;
      procOut?.off('data', onFrame);
      io.input?.off('data', onInput);
      if (how === 'gone') proc.hangup();
      else if (how === 'detach') proc.detach();
      if (how !== 'gone' && !io.output.writableEnded && !io.output.destroyed) io.output.end();
      void o.exited.then((code) => o.recording?.close(how === 'done' ? code : undefined));
      resolve();
    };

    const onFrame = (frame: OutputFrame) => {
      if ((frame.stream === 'stdout' && !o.stdout) || (frame.stream === 'stderr' && !o.stderr)) return;
      o.recording?.output(frame.data, frame.stream);
      if (!io.output.write(frame)) {
        procOut?.pause();
        io.output.once('drain', () => procOut?.resume());
      }
    };
    if (procOut) {
      procOut.on('data', onFrame);
      const drained = new Promise<void>((r) => {
        procOut.once('end', r);
        procOut.once('error', () => r());
        procOut.once('close', () => r());
      });
      void Promise.all([drained, o.exited]).then(() => finish('done'));
    } else {
      void o.exited.then(() => finish('done'));
    }
    io.output.once('close', () => finish('gone'));
    io.output.once('error', () => finish('gone'));

    const input = io.input;
    if (!input) return;
    // A stream that ended normally closes too (autoDestroy): only an abrupt close is the client
    // going away (the output sink's 'close' covers a client that half-closed first).
    input.once('close', () => {
      if (!input.readableEnded) finish('gone');
    });
    input.once('error', () => finish('gone'));
    const scanner = o.tty && stdin ? new DetachScanner(parseDetachKeys(o.detachKeys || undefined)) : undefined;
    const onInput = (chunk: Buffer) => {
      if (!stdin) return; // not attached: read and drop, so a closed client is noticed
      let data = chunk;
      let detach = false;
      if (scanner) ({ forward: data, detach } = scanner.push(chunk));
      if (data.length > 0) {
        o.recording?.input(data);
        if (!stdin.write(data)) {
          input.pause();
          stdin.once('drain', () => input.resume());
        }
      }
      if (detach) finish('detach');
    };
    input.on('data', onInput);
    // A 'data' listener does not restart a stream paused explicitly, as the API layer leaves the
    // socket after reading a start body that came apart from the headers: resume it here.
    input.resume();
    const onEnd = () => {
      if (finished) return;
      // A terminal has no end of input (^D is a byte): a FIN from a TTY client that sends stdin
      // means it is gone, and an idle shell would otherwise never notice (no write fails).
      // Without stdin attached (`docker exec -t`) the CLI half-closes at once: that is not it.
      if (o.tty && stdin) finish('gone');
      // Without a TTY it is stdin EOF (`echo x | docker exec -i`); the client still reads.
      else stdin?.end();
    };
    input.once('end', onEnd);
    // The client may have closed its side before the process started: 'end' has been and gone.
    if (input.readableEnded) onEnd();
    else if (input.destroyed) finish('gone');
  });
}
