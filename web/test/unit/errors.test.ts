import { describe, expect, it } from 'vitest';
import { berthCode, errorCode, errorMessage, isSignedOut } from '@/lib/errors';

describe('errors', () => {
  const signedOut = Object.assign(new Error('sign in first'), {
    data: { code: 'UNAUTHORIZED', berthCode: 'NOT_SIGNED_IN' },
  });
  const badPassword = Object.assign(new Error('wrong username or password'), {
    data: { code: 'UNAUTHORIZED', berthCode: 'BAD_CREDENTIALS' },
  });
  it('reads the tRPC and Berth codes', () => {
    expect(errorCode(signedOut)).toBe('UNAUTHORIZED');
    expect(berthCode(badPassword)).toBe('BAD_CREDENTIALS');
    expect(errorCode(new Error('network'))).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
  });
  it('tells a lapsed session from a wrong password (both are 401)', () => {
    expect(isSignedOut(signedOut)).toBe(true);
    expect(isSignedOut(badPassword)).toBe(false);
  });
  it('always has a message', () => {
    expect(errorMessage(badPassword)).toBe('wrong username or password');
    expect(errorMessage({})).toBe('Unexpected error');
  });
});
