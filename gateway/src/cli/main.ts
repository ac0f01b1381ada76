// berth-gateway: serve the gateway; verify the audit chain; manage users from the host shell
// (for the first admin, or when every admin is locked out); write migrations (developers).
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { AuditLog } from '../audit/log.js';
import { hashPassword, randomPassword } from '../auth/password.js';
import { openDatabase } from '../db/client.js';
import { newMigration } from '../db/new-migration.js';
import { usernameSchema } from '../routers/users.js';
import { createGateway } from '../server.js';

const defaultDataDir = process.env.BERTH_DATA_DIR ?? '/var/lib/berth-gateway';

function out(line: string): void {
  // Console output for the operator, deliberately not through the logger: it can carry the
  // one-time passwords that must never reach a log file.
  process.stdout.write(`${line}\n`);
}

async function withDatabase<T>(
  opts: { dataDir: string; databaseUrl?: string },
  fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  const database = await openDatabase({
    dataDir: resolve(opts.dataDir),
    url: opts.databaseUrl ?? process.env.DATABASE_URL,
  });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const cliActor = () => `cli:${userInfo().username}`;

export function buildCli(): Command {
  const program = new Command('berth-gateway')
    .description('Berth gateway: one console for every Berth/Docker host')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the gateway (tRPC, shell WebSocket, console)')
    .option('--data-dir <dir>', 'database (SQLite), CA and recordings', defaultDataDir)
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--web <dir>', 'serve the Next.js console from this workspace directory')
    .option(
      '--register-local <url>',
      'register this engine endpoint as host "local", e.g. unix:///run/berth/berthd.sock',
    )
    .option('--database-url <url>', 'postgresql://… to use PostgreSQL (default: $DATABASE_URL, else SQLite)')
    .option('--secure-cookies', 'mark the session cookie Secure (serve over HTTPS)', false)
    .option('--trust-proxy <hops>', 'take the client address from X-Forwarded-For across this many proxies', '0')
    .action(async (o) => {
      const gateway = await createGateway({
        dataDir: o.dataDir,
        listen: o.listen,
        web: o.web,
        registerLocal: o.registerLocal,
        databaseUrl: o.databaseUrl ?? process.env.DATABASE_URL,
        secureCookies: o.secureCookies,
        trustProxy: Number(o.trustProxy) || 0,
      });
      if (gateway.bootstrap) {
        out(`admin user: ${gateway.bootstrap.username}`);
        out(`admin password: ${gateway.bootstrap.password}`);
        out('(shown once; it must be changed at the first sign-in)');
      }
      // Handlers before the announcement: whoever waits for "listening" may signal at once.
      const stop = () => {
        void gateway.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      out(`berth-gateway listening on ${gateway.url}`);
    });

  const audit = program.command('audit').description('the audit trail');
  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 and name the first broken event if it does not hold')
    .option('--data-dir <dir>', 'data directory', defaultDataDir)
    .option('--database-url <url>', 'postgresql://…')
    .action(async (o) => {
      const result = await withDatabase(o, (d) => new AuditLog(d.db, d.provider).verify());
      if (result.ok) {
        out(`audit chain ok: ${result.count} events`);
      } else {
        out(`audit chain BROKEN at event id ${result.firstBrokenId} (seq ${result.firstBrokenSeq}): ${result.reason}`);
        out(`${result.count} events verified before it`);
        process.exitCode = 1;
      }
    });

  const users = program.command('users').description('gateway users');
  users
    .command('create <username>')
    .description('create a user with a one-time password (printed once)')
    .option('--admin', 'make the user a gateway administrator', false)
    .option('--data-dir <dir>', 'data directory', defaultDataDir)
    .option('--database-url <url>', 'postgresql://…')
    .action(async (username: string, o) => {
      const name = usernameSchema.parse(username);
      const password = randomPassword();
      await withDatabase(o, async ({ db, provider }) => {
        if (await db.user.findUnique({ where: { username: name } })) throw new Error(`user ${name} already exists`);
        await db.user.create({
          data: {
            username: name,
            passwordHash: await hashPassword(password),
            isAdmin: o.admin,
            mustChangePassword: true,
          },
        });
        await new AuditLog(db, provider).append({
          actorId: null,
          actorName: cliActor(),
          action: 'cli.users.create',
          target: name,
          params: { username: name, isAdmin: o.admin },
          result: 'ok',
        });
      });
      out(`user ${name} created`);
      out(`one-time password: ${password}`);
    });
  users
    .command('reset-password <username>')
    .description("replace a user's password with a one-time password (printed once) and end their sessions")
    .option('--data-dir <dir>', 'data directory', defaultDataDir)
    .option('--database-url <url>', 'postgresql://…')
    .action(async (username: string, o) => {
      const password = randomPassword();
      await withDatabase(o, async ({ db, provider }) => {
        const user = await db.user.findUnique({ where: { username } });
        if (!user) throw new Error(`no user ${username}`);
        await db.user.update({
          where: { id: user.id },
          data: { passwordHash: await hashPassword(password), mustChangePassword: true, disabled: false },
        });
        await db.session.deleteMany({ where: { userId: user.id } });
        await new AuditLog(db, provider).append({
          actorId: null,
          actorName: cliActor(),
          action: 'cli.users.resetPassword',
          target: username,
          params: { username },
          result: 'ok',
        });
      });
      out(`one-time password for ${username}: ${password}`);
    });

  program
    .command('db')
    .description('database (developers)')
    .command('new-migration <name>')
    .description('after editing prisma/schema.prisma: write the next SQLite and PostgreSQL migrations')
    .option('--postgres-url <url>', 'a scratch PostgreSQL to use (default: start a throwaway cluster)')
    .action(async (name: string, o) => {
      for (const r of await newMigration(name, { postgresUrl: o.postgresUrl })) {
        out(`${r.provider}: ${r.path ?? 'no changes'}`);
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`berth-gateway: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
