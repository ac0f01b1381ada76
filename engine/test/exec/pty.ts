import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The docker CLI on a real terminal: util-linux `script -qfec "<cmd>" /dev/null` gives it a pty,
 * as an interactive user's shell would. Output is the pty's (with \r\n); input is keystrokes.
 */
export class PtySession {
  private readonly proc: ChildProcess;
  private buf = '';
  private readonly exit: Promise<number>;

  constructor(command: string, env: NodeJS.ProcessEnv, size = { rows: 30, cols: 100 }) {
    // Set the pty's size before docker starts, so the CLI sends a real ConsoleSize.
    this.proc = spawn('script', ['-qfec', `stty rows ${size.rows} cols ${size.cols}; exec ${command}`, '/dev/null'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.buf += d;
    });
    this.proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.buf += d;
    });
    this.exit = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code ?? -1)));
  }

  get output(): string {
    return this.buf;
  }

  write(keys: string): void {
    this.proc.stdin?.write(keys);
  }

  /**
   * Resolves with the output so far once it matches `re` (after `from`, an index into it). The
   * deadline is only for failures: a machine under heavy load starts the docker CLI slowly.
   */
  async expect(re: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (opts.timeoutMs ?? 45_000);
    while (Date.now() < deadline) {
      const seen = this.buf.slice(opts.from ?? 0);
      if (re.test(seen)) return seen;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`expected ${re} in terminal output: ${JSON.stringify(this.buf.slice(-2000))}`);
  }

  /** Resize the CLI's terminal as a window resize would: the kernel sends it SIGWINCH. */
  resize(rows: number, cols: number): void {
    // One TIOCSWINSZ (stty sets rows and cols with two, i.e. two SIGWINCHs), as a terminal does.
    const script =
      'import fcntl,os,struct,sys,termios; fd=os.open(sys.argv[1], os.O_RDWR|os.O_NOCTTY); fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", int(sys.argv[2]), int(sys.argv[3]), 0, 0))';
    execFileSync('python3', ['-c', script, this.ptyPath(), String(rows), String(cols)]);
  }

  /**
   * At a shell prompt: wait until the shell's terminal has `rows`x`cols` (a resize travels
   * SIGWINCH → CLI → POST resize → berthd → conmon → pty, asynchronously), then print it.
   * Resolves once it is printed; the shell is back at its prompt.
   */
  async expectSize(rows: number, cols: number): Promise<void> {
    const mark = this.buf.length;
    this.write(`until [ "$(stty size)" = "${rows} ${cols}" ]; do sleep 0.05; done; echo "size:$(stty size)"\r`);
    // The echoed command line has `size:$(`; only the output has the numbers after `size:`.
    await this.expect(new RegExp(`size:${rows} ${cols}`), { from: mark });
  }

  waitExit(timeoutMs = 45_000): Promise<number> {
    return Promise.race([
      this.exit,
      new Promise<number>((_, reject) =>
        setTimeout(
          () => reject(new Error(`terminal session did not exit: ${JSON.stringify(this.buf.slice(-2000))}`)),
          timeoutMs,
        ),
      ),
    ]);
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }

  /** The pty slave of the command that script runs (script's child). */
  private ptyPath(): string {
    const pid = this.proc.pid;
    if (!pid) throw new Error('script is not running');
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const child of children) {
      const path = readlinkSync(`/proc/${child}/fd/0`);
      if (path.startsWith('/dev/pts/')) return path;
    }
    throw new Error(`no pty among ${children.join(',')}: ${readdirSync(`/proc/${pid}/fd`).join(',')}`);
  }
}
