// tRPC errors reach the browser as TRPCClientError with `data.code` (the tRPC code) and, from the
// Berth gateway, `data.berthCode` (its own catalogue, gateway/src/errors.ts). Anything else
// (network, abort) has neither. Kept free of tRPC imports so it is trivially unit-testable.
function data(error: unknown): { code?: unknown; berthCode?: unknown } | undefined {
  if (error && typeof error === 'object' && 'data' in error) {
    const d = (error as { data?: unknown }).data;
    if (d && typeof d === 'object') return d as { code?: unknown; berthCode?: unknown };
  }
  return undefined;
}

export function errorCode(error: unknown): string | undefined {
  const c = data(error)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function berthCode(error: unknown): string | undefined {
  const c = data(error)?.berthCode;
  return typeof c === 'string' ? c : undefined;
}

/** Signed out (or the session expired) — as opposed to a wrong password, which is also 401. */
export function isSignedOut(error: unknown): boolean {
  return berthCode(error) === 'NOT_SIGNED_IN';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'Unexpected error';
}
