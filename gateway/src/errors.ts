// The gateway's one error catalogue (after fastify's lib/errors.js): every error a caller can see
// has a stable code, a message template, a tRPC code and so an HTTP status. BerthError extends
// TRPCError so tRPC reports the right status without a translation layer; the REST routes
// (recordings, exports, image upload) read `status` directly.
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';

type TRPCCode = ConstructorParameters<typeof TRPCError>[0]['code'];

interface ErrorDef<A extends unknown[]> {
  code: string;
  trpc: TRPCCode;
  message: (...args: A) => string;
}

export class BerthError extends TRPCError {
  readonly berthCode: string;

  constructor(berthCode: string, code: TRPCCode, message: string, cause?: unknown) {
    super({ code, message, cause });
    this.name = 'BerthError';
    this.berthCode = berthCode;
  }

  /** The HTTP status tRPC would answer with; the REST routes use the same. */
  get status(): number {
    return getHTTPStatusCodeFromError(this);
  }
}

function def<A extends unknown[]>(code: string, trpc: TRPCCode, message: (...args: A) => string) {
  const d: ErrorDef<A> = { code, trpc, message };
  const make = (...args: A) => new BerthError(d.code, d.trpc, d.message(...args));
  return Object.assign(make, { code, trpc, withCause: (cause: unknown, ...args: A) => withCause(d, cause, args) });
}

function withCause<A extends unknown[]>(d: ErrorDef<A>, cause: unknown, args: A): BerthError {
  return new BerthError(d.code, d.trpc, d.message(...args), cause);
}

export const Errors = {
  // authentication
  NOT_SIGNED_IN: def('NOT_SIGNED_IN', 'UNAUTHORIZED', () => 'sign in first'),
  BAD_CREDENTIALS: def('BAD_CREDENTIALS', 'UNAUTHORIZED', () => 'wrong username or password'),
  RATE_LIMITED: def(
    'RATE_LIMITED',
    'TOO_MANY_REQUESTS',
    (seconds: number) => `too many failed sign-ins; try again in ${seconds} s`,
  ),
  CSRF_REFUSED: def('CSRF_REFUSED', 'FORBIDDEN', () => 'cross-site request refused'),
  WRONG_PASSWORD: def('WRONG_PASSWORD', 'BAD_REQUEST', () => 'the current password is wrong'),
  PASSWORD_WEAK: def('PASSWORD_WEAK', 'BAD_REQUEST', () => 'password must be at least 12 characters'),
  PASSWORD_CHANGE_REQUIRED: def(
    'PASSWORD_CHANGE_REQUIRED',
    'FORBIDDEN',
    () => 'change the one-time password before doing anything else',
  ),
  // authorization
  ROLE_REQUIRED: def(
    'ROLE_REQUIRED',
    'FORBIDDEN',
    (role: string, host: string) => `requires the ${role} role on host ${host}`,
  ),
  ADMIN_REQUIRED: def('ADMIN_REQUIRED', 'FORBIDDEN', () => 'requires a gateway administrator'),
  NOT_YOURS: def('NOT_YOURS', 'FORBIDDEN', (what: string) => `${what} belongs to another user`),
  // resources
  NOT_FOUND: def('NOT_FOUND', 'NOT_FOUND', (kind: string, id: string) => `${kind} ${id} not found`),
  CONFLICT: def('CONFLICT', 'CONFLICT', (message: string) => message),
  BAD_INPUT: def('BAD_INPUT', 'BAD_REQUEST', (message: string) => message),
  // hosts and engines
  HOST_UNREACHABLE: def(
    'HOST_UNREACHABLE',
    'PRECONDITION_FAILED',
    (host: string, reason: string) => `host ${host} is unreachable: ${reason}`,
  ),
  ENGINE_NOT_FOUND: def('ENGINE_NOT_FOUND', 'NOT_FOUND', (message: string) => message),
  ENGINE_CONFLICT: def('ENGINE_CONFLICT', 'CONFLICT', (message: string) => message),
  ENGINE_BAD_REQUEST: def('ENGINE_BAD_REQUEST', 'BAD_REQUEST', (message: string) => message),
  ENGINE_FAILED: def(
    'ENGINE_FAILED',
    'INTERNAL_SERVER_ERROR',
    (host: string, message: string) => `${host}: ${message}`,
  ),
  // shells
  TICKET_INVALID: def('TICKET_INVALID', 'UNAUTHORIZED', () => 'shell ticket is invalid, used or expired'),
  SESSION_GONE: def('SESSION_GONE', 'NOT_FOUND', (id: string) => `shell session ${id} has ended`),
  RECORDING_FAILED: def(
    'RECORDING_FAILED',
    'INTERNAL_SERVER_ERROR',
    (reason: string) => `shell ended: its recording could not be written (${reason})`,
  ),
  // audit
  AUDIT_WRITE_FAILED: def(
    'AUDIT_WRITE_FAILED',
    'INTERNAL_SERVER_ERROR',
    (action: string) => `${action} ran but its audit event could not be written`,
  ),
  INTERNAL: def('INTERNAL', 'INTERNAL_SERVER_ERROR', (message: string) => message),
} as const;

/** Normalizes anything thrown into a BerthError/TRPCError, never leaking internals in the message. */
export function asTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  return new BerthError('INTERNAL', 'INTERNAL_SERVER_ERROR', 'internal error', err);
}

/** The catalogue code for an error, for audit records and logs. */
export function errorCode(err: unknown): string {
  if (err instanceof BerthError) return err.berthCode;
  if (err instanceof TRPCError) return err.code;
  return 'INTERNAL';
}
