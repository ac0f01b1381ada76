/**
 * The engine's one error catalogue (after fastify's lib/errors.js): every error the
 * Docker API can answer with has a code, a message template and an HTTP status.
 * The API layer turns an EngineError into Docker's `{"message": …}` body.
 */
export const ERRORS = {
  NO_SUCH_CONTAINER: { status: 404, message: 'No such container: %s' },
  NO_SUCH_IMAGE: { status: 404, message: 'No such image: %s' },
  NO_SUCH_EXEC: { status: 404, message: 'No such exec instance: %s' },
  NO_SUCH_VOLUME: { status: 404, message: 'get %s: no such volume' },
  NO_SUCH_NETWORK: { status: 404, message: 'network %s not found' },
  NO_SUCH_PATH: { status: 404, message: 'Could not find the file %s in container %s' },
  NOT_FOUND: { status: 404, message: 'page not found' },
  NAME_IN_USE: {
    status: 409,
    message:
      'Conflict. The container name "%s" is already in use by container "%s". You have to remove (or rename) that container to be able to reuse that name.',
  },
  CONFLICT: { status: 409, message: '%s' },
  IMAGE_IN_USE: {
    status: 409,
    message:
      'conflict: unable to remove repository reference "%s" (must force) - container %s is using its referenced image %s',
  },
  CONTAINER_RUNNING: {
    status: 409,
    message: 'cannot remove container "%s": container is running: stop the container before removing or force remove',
  },
  NOT_RUNNING: { status: 409, message: 'Container %s is not running' },
  ALREADY_PAUSED: { status: 409, message: 'Container %s is already paused' },
  NOT_PAUSED: { status: 409, message: 'Container %s is not paused' },
  PAUSED: { status: 409, message: 'Container %s is paused, unpause the container before stopping or killing' },
  BAD_PARAMETER: { status: 400, message: '%s' },
  INVALID_REFERENCE: { status: 400, message: 'invalid reference format: %s' },
  INVALID_ARCHIVE: { status: 400, message: 'invalid archive: %s' },
  DIGEST_MISMATCH: { status: 400, message: 'digest mismatch: expected %s, got %s' },
  UNAUTHORIZED: { status: 401, message: '%s' },
  FORBIDDEN: { status: 403, message: '%s' },
  NOT_IMPLEMENTED: { status: 501, message: '%s is not implemented by berthd' },
  RUNTIME: { status: 500, message: '%s' },
  INTERNAL: { status: 500, message: '%s' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, ...args: string[]) {
    let i = 0;
    super(ERRORS[code].message.replace(/%s/g, () => args[i++] ?? ''));
    this.name = 'EngineError';
    this.code = code;
    this.status = ERRORS[code].status;
  }
}

export function isEngineError(err: unknown, code?: ErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
