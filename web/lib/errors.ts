// tRPC errors reach the browser as TRPCClientError with `data.code`; anything else (network, abort)
// has no code. Kept free of tRPC imports so it is trivially unit-testable.
export function errorCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'data' in error) {
    const data = (error as { data?: { code?: unknown } }).data;
    if (data && typeof data.code === 'string') return data.code;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'Unexpected error';
}
