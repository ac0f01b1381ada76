import dockerignore, { type Ignore } from '@balena/dockerignore';

// A CommonJS module typed as `export default`: under Node's ESM the default import is already
// the factory; `.default` is what the typings (and bundlers) expect.
const ignore = ((dockerignore as unknown as { default?: unknown }).default ?? dockerignore) as unknown as () => Ignore;

/**
 * `.dockerignore` rules (moby's patternmatcher: Go filepath.Match per path component, `**` for
 * any number of directories, `!` exceptions with the last matching rule winning, a pattern
 * also excluding everything under a matched directory), through @balena/dockerignore, which
 * implements exactly those rules.
 */
export class DockerIgnore {
  private readonly matcher: Ignore | undefined;
  /** Some rule re-includes paths (`!pattern`): an ignored directory may still hold wanted files. */
  readonly hasExceptions: boolean;

  constructor(text: string | undefined) {
    const patterns = (text ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    this.matcher = patterns.length > 0 ? ignore().add(patterns) : undefined;
    this.hasExceptions = patterns.some((p) => p.startsWith('!'));
  }

  get empty(): boolean {
    return this.matcher === undefined;
  }

  /** `rel` is a context-relative path with '/' separators ('' or '.' is the context itself, never ignored). */
  ignores(rel: string): boolean {
    if (!this.matcher || rel === '' || rel === '.') return false;
    return this.matcher.ignores(rel);
  }
}
