import { describe, expect, it } from 'vitest';
import { shellWords } from '@/lib/shellWords';

describe('shellWords', () => {
  it('splits on whitespace and honours quotes and escapes', () => {
    expect(shellWords('  sh -c "echo hi; ls"  ')).toEqual(['sh', '-c', 'echo hi; ls']);
    expect(shellWords(`python3 -c 'print("a b")'`)).toEqual(['python3', '-c', 'print("a b")']);
    expect(shellWords('a\\ b "x\\"y" \'\'')).toEqual(['a b', 'x"y', '']);
  });
  it('rejects an unterminated quote', () => {
    expect(() => shellWords('sh -c "oops')).toThrow(/unterminated/);
  });
});
