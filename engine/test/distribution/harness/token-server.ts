import { execFile } from 'node:child_process';
import { randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenRequest {
  method: string;
  account?: string;
  scopes: string[];
  offline: boolean;
  grant?: string;
}

/**
 * A Docker token server (the distribution token-auth spec) for tests: Basic or OAuth2
 * (password / refresh_token grants) in, RS256 JWT out, signed with a key whose self-signed
 * certificate travels in the `x5c` header and sits in the registry's rootcertbundle.
 * Users get pull and push everywhere; anonymous callers get pull only on `publicRepos`.
 */
export class TokenServer {
  readonly service = 'berth-test-registry';
  readonly issuer = 'berth-test-issuer';
  readonly requests: TokenRequest[] = [];
  readonly publicRepos = new Set<string>();
  private readonly refreshTokens = new Map<string, string>();
  private server: Server | undefined;
  private port = 0;

  private constructor(
    private readonly users: Record<string, string>,
    private readonly key: string,
    private readonly certDer: string,
    readonly certPath: string,
  ) {}

  /** Generate the signing key and certificate in `dir` (openssl) and listen on loopback. */
  static async start(dir: string, users: Record<string, string>): Promise<TokenServer> {
    const keyPath = join(dir, 'token.key');
    const certPath = join(dir, 'token.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=berth-test-token',
    ]);
    const cert = new X509Certificate(await readFile(certPath));
    const server = new TokenServer(users, await readFile(keyPath, 'utf8'), cert.raw.toString('base64'), certPath);
    await server.listen();
    return server;
  }

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        res.writeHead(500).end(err.message);
      });
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        if (typeof addr === 'object' && addr) this.port = addr.port;
        resolve();
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let account: string | undefined;
    let scopes = url.searchParams.getAll('scope');
    let offline = url.searchParams.get('offline_token') === 'true';
    let grant: string | undefined;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      grant = form.get('grant_type') ?? undefined;
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      offline = form.get('access_type') === 'offline';
      if (grant === 'refresh_token') account = this.refreshTokens.get(form.get('refresh_token') ?? '');
      else if (grant === 'password' && this.users[form.get('username') ?? ''] === form.get('password'))
        account = form.get('username') ?? undefined;
      if (account === undefined) return this.deny(res, req.method, scopes);
    } else {
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
      if (basic?.[1]) {
        const plain = Buffer.from(basic[1], 'base64').toString();
        const user = plain.slice(0, plain.indexOf(':'));
        if (this.users[user] === undefined || this.users[user] !== plain.slice(plain.indexOf(':') + 1))
          return this.deny(res, 'GET', scopes);
        account = user;
      }
    }
    this.requests.push({
      method: req.method ?? 'GET',
      ...(account ? { account } : {}),
      scopes,
      offline,
      ...(grant ? { grant } : {}),
    });
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const wanted = actions.split(',');
      const granted = account ? wanted : wanted.filter((a) => a === 'pull' && this.publicRepos.has(name));
      return granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const token = this.jwt({
      iss: this.issuer,
      sub: account ?? '',
      aud: this.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    });
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: 300,
      issued_at: new Date().toISOString(),
    };
    if (offline && account) {
      const refresh = randomBytes(16).toString('hex');
      this.refreshTokens.set(refresh, account);
      body.refresh_token = refresh;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private deny(res: ServerResponse, method: string, scopes: string[]): void {
    this.requests.push({ method, scopes, offline: false, grant: 'denied' });
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(JSON.stringify({ details: 'incorrect username or password' }));
  }

  private jwt(claims: Record<string, unknown>): string {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const signingInput = `${enc({ typ: 'JWT', alg: 'RS256', x5c: [this.certDer] })}.${enc(claims)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), this.key).toString('base64url')}`;
  }
}
