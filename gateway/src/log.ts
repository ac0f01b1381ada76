// pino, with the secret-bearing fields censored at the logger so a careless `log.info({ input })`
// still cannot write a password, token, ticket or cookie to disk.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'ticket',
  'secret',
  'key',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.ticket',
  '*.secret',
  '*.key',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    level: opts.level ?? process.env.BERTH_LOG_LEVEL ?? 'info',
    base: { service: 'berth-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
