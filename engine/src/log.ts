import { type Logger, pino } from 'pino';

/** Structured JSON logs on stderr; secrets are redacted by path. */
export function createLogger(level = process.env.BERTH_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'berthd',
      level,
      redact: ['*.password', '*.auth', '*.identitytoken', '*.registryToken', 'headers["x-registry-auth"]'],
    },
    pino.destination(2),
  );
}

export type { Logger };
