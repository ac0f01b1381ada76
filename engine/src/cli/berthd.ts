import { Command } from 'commander';
import { ApiServer, type TlsFiles } from '../api/server.js';
import { Daemon } from '../daemon/daemon.js';
import { BERTH_VERSION } from '../daemon/system.js';
import { isEngineError } from '../errors.js';
import { createLogger } from '../log.js';

interface Options {
  dataRoot: string;
  host: string[];
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  runtime?: string;
  certsDir: string;
  logLevel: string;
  recordSessions?: string;
  recordInput?: boolean;
}

const program = new Command()
  .name('berthd')
  .description('Berth container engine: the Docker Engine API on runc under conmon')
  .version(BERTH_VERSION)
  .option('--data-root <dir>', 'root of the engine state', '/var/lib/berth')
  .option('-H, --host <url...>', 'where to serve the API: unix:///path.sock or tcp://host:port', [
    'unix:///run/berth/berthd.sock',
  ])
  .option('--tlscacert <file>', 'CA that client certificates must be signed by (TCP requires mutual TLS)')
  .option('--tlscert <file>', 'server certificate')
  .option('--tlskey <file>', 'server key')
  .option('--runtime <path>', 'OCI runtime binary (runc or crun)')
  .option('--certs-dir <dir>', 'registry CAs and client certs, as <dir>/<host:port>/ca.crt', '/etc/berth/certs.d')
  .option('--log-level <level>', 'debug, info, warn or error', 'info')
  .option('--record-sessions <dir>', 'record every exec/attach session to <dir> as asciicast v2')
  .option('--record-input', 'with --record-sessions, record keystrokes too (they include passwords)');

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<Options>();
  const log = createLogger(opts.logLevel);
  let tls: TlsFiles | undefined;
  if (opts.tlscacert || opts.tlscert || opts.tlskey) {
    if (!opts.tlscacert || !opts.tlscert || !opts.tlskey) {
      throw new Error('--tlscacert, --tlscert and --tlskey go together (mutual TLS)');
    }
    tls = { ca: opts.tlscacert, cert: opts.tlscert, key: opts.tlskey };
  }
  for (const host of opts.host) {
    if (host.startsWith('tcp://') && !tls)
      throw new Error(`refusing to serve ${host} without mutual TLS: give --tlscacert, --tlscert and --tlskey`);
  }
  const daemon = await Daemon.open({
    dataRoot: opts.dataRoot,
    log,
    runtimePath: opts.runtime,
    certsDir: opts.certsDir,
    recordSessions: opts.recordSessions ? { dir: opts.recordSessions, input: Boolean(opts.recordInput) } : undefined,
  });
  const api = new ApiServer(daemon.backend(), log);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down; containers keep running');
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    await api.close();
    await daemon.close();
    process.exit(0);
  };
  // Handlers before the sockets open: a client that sees berthd answer may signal it at once.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  for (const host of opts.host) await api.listen({ host, tls: host.startsWith('tcp://') ? tls : undefined });
  log.info({ dataRoot: opts.dataRoot, version: BERTH_VERSION }, 'berthd ready');
}

main().catch((err: unknown) => {
  const message = isEngineError(err) || err instanceof Error ? err.message : String(err);
  process.stderr.write(`berthd: ${message}\n`);
  process.exit(1);
});
