import { z } from 'zod';
import { EngineError } from '../errors.js';
import { discard, type Endpoints, type HttpResponse, isLoopbackHost, send } from './transport.js';

/** Credentials as the docker CLI sends them in `X-Registry-Auth` and `POST /auth`. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  /** OAuth2 refresh token a previous login returned (Docker's IdentityToken). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

const authSchema = z
  .object({
    username: z.string().optional(),
    password: z.string().optional(),
    auth: z.string().optional(),
    serveraddress: z.string().optional(),
    identitytoken: z.string().optional(),
    registrytoken: z.string().optional(),
  })
  .loose();

/** Normalize a parsed auth object: `auth` ("user:pass" in base64) fills username/password. */
export function normalizeAuth(value: unknown): RegistryAuth | undefined {
  const parsed = authSchema.safeParse(value);
  if (!parsed.success)
    throw new EngineError('BAD_PARAMETER', 'invalid registry auth: expected {username, password, serveraddress}');
  const { auth, ...rest } = parsed.data;
  const out: RegistryAuth = {};
  for (const key of ['username', 'password', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = rest[key];
    if (v) out[key] = v;
  }
  if (auth && out.username === undefined) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Decode the `X-Registry-Auth` header: base64url of a JSON object (the CLI pads; Node's decoder
 * takes both alphabets, padded or not). An absent or empty header means anonymous.
 */
export function decodeRegistryAuth(value: string | undefined): RegistryAuth | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value.trim(), 'base64url').toString('utf8'));
  } catch {
    throw new EngineError('BAD_PARAMETER', 'invalid X-Registry-Auth header: not base64url JSON');
  }
  return normalizeAuth(json);
}

export interface Challenge {
  scheme: string; // lower case: "bearer", "basic"
  params: Record<string, string>;
}

/**
 * Parse `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme and
 * `key=value`/`key="quoted"` parameters. Hand-written: the grammar is small and the npm parsers
 * found handle a single challenge only or are unmaintained.
 */
export function parseChallenges(value: string | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!value) return out;
  const re = /\s*(?:,\s*)*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/y;
  let current: Challenge | undefined;
  re.lastIndex = 0;
  while (re.lastIndex < value.length) {
    const m = re.exec(value);
    if (!m || m[0].length === 0) break;
    const [, token = '', quoted, bare] = m;
    if (quoted !== undefined || bare !== undefined) {
      if (current)
        current.params[token.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const TOKEN_LEEWAY_MS = 10_000;

/** The message a registry or token server gave, Docker-style (`unauthorized: …`). */
export async function registryErrorMessage(res: HttpResponse, fallback: string): Promise<string> {
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    // The body is only a nicety for the message.
  }
  try {
    const json = JSON.parse(text) as {
      errors?: { code?: string; message?: string }[];
      details?: string;
      error?: string;
    };
    if (Array.isArray(json.errors) && json.errors.length > 0) {
      return json.errors.map((e) => `${(e.code ?? 'error').toLowerCase()}: ${e.message ?? ''}`).join(', ');
    }
    if (typeof json.details === 'string') return json.details;
    if (typeof json.error === 'string') return json.error;
  } catch {
    // Not JSON: fall through.
  }
  return fallback;
}

/**
 * Authorization for one registry and one set of credentials: Basic, or Bearer tokens fetched from
 * the challenge's realm and cached per scope set until they expire.
 */
export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** The refresh token a login with `offline_token=true` returned (Docker's IdentityToken). */
  refreshToken: string | undefined;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly creds: RegistryAuth | undefined,
  ) {}

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Learn the scheme from a `/v2/` ping or a 401. Returns false when nothing usable was offered. */
  setChallenges(challenges: Challenge[]): boolean {
    const usable = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (usable) this.challenge = usable;
    return usable !== undefined;
  }

  /** The Authorization header for a request needing `scopes`, or undefined for anonymous. */
  async authorization(scopes: string[], signal?: AbortSignal, login = false): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (!this.creds?.username) return undefined;
      return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
    }
    if (this.creds?.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const fetched = await this.fetchToken(challenge, [...new Set(scopes)].sort(), signal, login);
    this.tokens.set(key, fetched);
    return `Bearer ${fetched.token}`;
  }

  /** A 401 arrived despite our header: drop the cached token, adopt the new challenge. */
  invalidate(scopes: string[], challenges: Challenge[]): void {
    this.tokens.delete([...new Set(scopes)].sort().join(' '));
    this.setChallenges(challenges);
  }

  private async fetchToken(
    challenge: Challenge,
    scopes: string[],
    signal: AbortSignal | undefined,
    login: boolean,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new EngineError('UNAUTHORIZED', 'registry offered a bearer challenge without a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new EngineError('UNAUTHORIZED', `registry offered an invalid token realm: ${realm}`);
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.host) && (this.creds?.password || this.creds?.identitytoken)) {
      throw new EngineError(
        'UNAUTHORIZED',
        `refusing to send credentials over plain HTTP to token realm ${url.origin}`,
      );
    }
    const dispatcher = await this.endpoints.forUrl(url.href);
    const service = challenge.params.service;
    let res: HttpResponse;
    if (this.creds?.identitytoken) {
      // OAuth2 refresh-token grant, as the docker CLI's identity tokens need.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.creds.identitytoken,
        client_id: 'docker',
        access_type: 'offline',
      });
      if (service) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await send(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        dispatcher,
        signal,
      });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (this.creds?.username) {
        url.searchParams.set('account', this.creds.username);
        headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
        if (login) {
          url.searchParams.set('offline_token', 'true');
          url.searchParams.set('client_id', 'docker');
        }
      }
      res = await send(url.href, { headers, dispatcher, signal });
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      const msg = await registryErrorMessage(res, 'unauthorized: incorrect username or password');
      throw new EngineError('UNAUTHORIZED', msg);
    }
    if (res.statusCode !== 200) {
      const msg = await registryErrorMessage(res, `token server answered ${res.statusCode}`);
      throw new EngineError('UNAUTHORIZED', `fetching a token from ${url.origin}${url.pathname}: ${msg}`);
    }
    let body: {
      token?: string;
      access_token?: string;
      expires_in?: number;
      issued_at?: string;
      refresh_token?: string;
    };
    try {
      body = (await res.body.json()) as typeof body;
    } catch {
      await discard(res);
      throw new EngineError('UNAUTHORIZED', `token server ${url.origin} answered invalid JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new EngineError('UNAUTHORIZED', `token server ${url.origin} answered no token`);
    if (body.refresh_token) this.refreshToken = body.refresh_token;
    // The spec's default lifetime is 60 s; renew a little early so a token never expires mid-request.
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000;
    const issued = body.issued_at ? Date.parse(body.issued_at) : Number.NaN;
    const start = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    return { token, expiresAt: start + lifetimeMs - TOKEN_LEEWAY_MS };
  }
}
