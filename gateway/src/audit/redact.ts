// Audit parameters are the caller's input with secrets removed: any key that names a secret is
// replaced, and environment variables keep their names but never their values (a container's
// env is where passwords usually hide).
const SECRET_KEY = /pass(word)?|secret|token|ticket|credential|authorization|cookie|private|^key$|Key$/i;
export const REDACTED = '[redacted]';

export function redact(value: unknown, key = ''): unknown {
  if (key && SECRET_KEY.test(key)) return REDACTED;
  if (key === 'env' && Array.isArray(value)) {
    return value.map((e) =>
      typeof e === 'string' && e.includes('=') ? `${e.slice(0, e.indexOf('='))}=${REDACTED}` : REDACTED,
    );
  }
  if (key === 'env' && value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  }
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  if (typeof value === 'string' && value.length > 2000) return `${value.slice(0, 2000)}…`;
  return value;
}
