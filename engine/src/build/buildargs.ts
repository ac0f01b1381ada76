/** Proxy variables usable as build args without an ARG, and kept out of the image history unless declared. */
export const BUILTIN_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/**
 * Build arguments with the classic builder's rules: `--build-arg` values only reach a stage
 * through an `ARG` of the same name in that stage (or a builtin proxy arg); an `ARG` without a
 * default takes the global (pre-FROM) ARG's value; each stage starts with none declared.
 */
export class BuildArgs {
  /** Declared in the current stage: name → default. */
  private allowed = new Map<string, string | undefined>();
  /** Declared before the first FROM. */
  private readonly meta = new Map<string, string | undefined>();
  private readonly referenced = new Set<string>();

  constructor(private readonly options: Readonly<Record<string, string | null>>) {}

  /** A new stage: nothing declared yet, global ARGs and what was referenced carry over. */
  newStage(): void {
    this.allowed = new Map();
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
    this.referenced.add(key);
  }

  addArg(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  private value(key: string, declared: ReadonlyMap<string, string | undefined>): string | undefined {
    const given = this.options[key];
    if (typeof given === 'string') return given;
    const dflt = declared.get(key);
    if (dflt !== undefined) return dflt;
    return this.meta.get(key);
  }

  private resolve(declared: ReadonlyMap<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of declared.keys()) {
      const v = this.value(key, declared);
      if (v !== undefined) out.set(key, v);
    }
    for (const key of BUILTIN_ARGS) {
      const given = this.options[key];
      if (!declared.has(key) && typeof given === 'string') out.set(key, given);
    }
    return out;
  }

  /** Values of the args declared in this stage (and given builtins). */
  allowedValues(): Map<string, string> {
    return this.resolve(this.allowed);
  }

  /** Values of the global args, for expanding FROM. */
  metaValues(): Map<string, string> {
    return this.resolve(this.meta);
  }

  /** `k=v` of the allowed args not shadowed by an ENV of the same name. */
  filterAllowed(env: readonly string[]): string[] {
    const keys = new Set(env.map(envKey));
    return [...this.allowedValues()].filter(([k]) => !keys.has(k)).map(([k, v]) => `${k}=${v}`);
  }

  /** Whether a RUN's history line shows this arg (builtins only when declared). */
  shownInHistory(key: string): boolean {
    return this.allowed.has(key) || !BUILTIN_ARGS.has(key);
  }

  /** The `--build-arg`s no ARG used, for the warning at the end of the build. */
  unused(): string[] {
    return Object.keys(this.options)
      .filter((k) => !this.referenced.has(k) && !BUILTIN_ARGS.has(k))
      .sort();
  }
}
