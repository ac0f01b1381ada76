import { EngineError } from '../errors.js';
import { familiarName, familiarString, splitReference } from './reference.js';
import type { ImageFilters, ImageWithConfig } from './types.js';

const KNOWN = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

/**
 * Docker's image list/prune filters: `dangling=true|false`, `label=key` / `label=key=value`
 * (`label!=` for prune), `before=<image>`, `since=<image>`, `reference=<glob>` (path.Match on the
 * familiar `name` and `name:tag`), `until=<timestamp|duration>`.
 */
export function imageMatcher(
  filters: ImageFilters,
  resolve: (ref: string) => ImageWithConfig,
): (img: ImageWithConfig) => boolean {
  for (const key of Object.keys(filters)) {
    if (!KNOWN.has(key) && key !== 'label!') throw new EngineError('BAD_PARAMETER', `invalid filter '${key}'`);
  }
  const dangling = filters.dangling?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) {
    throw new EngineError('BAD_PARAMETER', `invalid filter 'dangling=${dangling}'`);
  }
  const before = filters.before?.map((r) => Date.parse(resolve(r).created));
  const since = filters.since?.map((r) => Date.parse(resolve(r).created));
  const until = filters.until?.map(parseUntil);
  const refGlobs = filters.reference?.map(globToRegExp);
  return (img) => {
    if (dangling !== undefined && (img.repoTags.length === 0) !== (dangling === 'true' || dangling === '1'))
      return false;
    const created = Date.parse(img.created);
    if (before && !before.every((t) => created < t)) return false;
    if (since && !since.every((t) => created > t)) return false;
    if (until && !until.every((t) => created < t)) return false;
    const labels = img.config.config?.Labels ?? {};
    if (filters.label && !filters.label.every((l) => labelMatches(labels, l))) return false;
    if (filters['label!']?.some((l) => labelMatches(labels, l))) return false;
    if (refGlobs && !img.repoTags.some((t) => tagMatches(refGlobs, t))) return false;
    return true;
  };
}

function tagMatches(globs: RegExp[], tag: string): boolean {
  const names = [familiarString(tag), familiarName(splitReference(tag).name)];
  return globs.some((re) => names.some((n) => re.test(n)));
}

/** With a `reference` filter, `docker images` lists only the matching tags of each image. */
export function matchingTags(filters: ImageFilters, repoTags: string[]): string[] {
  const globs = filters.reference?.map(globToRegExp);
  return globs ? repoTags.filter((t) => tagMatches(globs, t)) : repoTags;
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Go's path.Match: `*` and `?` do not cross '/', `[...]` classes. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) throw new EngineError('BAD_PARAMETER', `invalid reference filter: ${glob}`);
      re += `[${glob
        .slice(i + 1, end)
        .replace(/^\^/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** `until`: RFC 3339 / unix seconds / Go duration relative to now (`24h`, `90m`). */
function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (dur) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[dur[2] as 'h'];
    return Date.now() - Number(dur[1]) * unit;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new EngineError('BAD_PARAMETER', `invalid until filter: ${value}`);
  return t;
}
