// Maps what dockerode throws to the catalogue: transport failures mean the host is unreachable;
// engine answers keep their meaning (404 → NOT_FOUND, 409/304 → CONFLICT, 400 → BAD_REQUEST).
import { BerthError, Errors } from '../errors.js';

const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EACCES',
  'ABORT_ERR',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export interface DockerodeError {
  code?: string;
  name?: string;
  message?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | string | null;
}

/** True when the error says nothing about the request and everything about the connection. */
export function isTransportError(err: unknown): boolean {
  const e = err as DockerodeError;
  if (!e || typeof e !== 'object' || typeof e.statusCode === 'number') return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (e.code && (TRANSPORT_CODES.has(e.code) || e.code.startsWith('ERR_SSL') || e.code.startsWith('ERR_TLS')))
    return true;
  return /socket hang up|ssl|tls|certificate/i.test(e.message ?? '');
}

export function transportReason(err: unknown): string {
  const e = err as DockerodeError;
  if (e.code === 'ENOENT') return 'socket not found';
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'EACCES') return 'permission denied on the socket';
  return e.code ? `${e.code}${e.message ? ` (${e.message.slice(0, 200)})` : ''}` : (e.message ?? 'unknown error');
}

export function engineMessage(err: DockerodeError): string {
  const json = err.json;
  const fromJson = json && typeof json === 'object' ? json.message : typeof json === 'string' ? json : undefined;
  return (fromJson ?? err.reason ?? err.message ?? 'engine error').toString().trim().slice(0, 1000);
}

export function mapEngineError(hostName: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  if (isTransportError(err)) return Errors.HOST_UNREACHABLE.withCause(err, hostName, transportReason(err));
  const e = err as DockerodeError;
  const message = engineMessage(e);
  switch (e.statusCode) {
    case 404:
      return Errors.ENGINE_NOT_FOUND.withCause(err, message);
    case 304:
    case 409:
      return Errors.ENGINE_CONFLICT.withCause(err, message);
    case 400:
      return Errors.ENGINE_BAD_REQUEST.withCause(err, message);
    default:
      return Errors.ENGINE_FAILED.withCause(err, hostName, message);
  }
}
