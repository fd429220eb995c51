/**
 * Path globs for policies, compiled once at config load into segment matchers.
 *
 * - `*` matches within one segment (`/files/*.pdf`, `/api/*\/items`).
 * - `**` (a whole segment) matches any number of segments, including none (`/a/**\/b`).
 * - A final `/*` (or `/**`) matches the directory itself, `/x/` and everything below. Guarding
 *   `/admin/*` must also guard `/admin`: most upstreams serve `/admin` and `/admin/` alike (or redirect
 *   one to the other), so leaving `/admin` to a later, weaker policy would be a side door.
 *
 * Patterns are written in normalised form (see normalizePath), so they compare with normalised paths.
 *
 * Matching is linear, never a backtracking regular expression: `/exports/*-*-*.csv` against a long
 * segment, or several `**`, would otherwise let one anonymous request stall the event loop for
 * seconds (catastrophic backtracking). Segments are matched by dynamic programming over
 * (pattern segment, path segment); `*` inside a segment by the greedy two-pointer wildcard match.
 */
import { normalizePath } from './path';

export interface CompiledGlob {
  readonly source: string;
  test(path: string): boolean;
}

export type GlobResult = { ok: true; glob: CompiledGlob } | { ok: false; message: string };

const FORBIDDEN = /[?#[\]{}\\;\s]/;

/** Checks a pattern and returns why it is malformed, with the fix, or undefined. */
export function globProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('/')) return `"${pattern}" is not a path glob; globs start with "/", e.g. /${pattern.replace(/^\/*/, '')}`;
  const forbidden = FORBIDDEN.exec(pattern);
  if (forbidden) return `"${pattern}" contains "${forbidden[0]}", which globs do not support; use * (one segment) or ** (any segments)`;
  if (/[^\x21-\x7e]/.test(pattern)) return `"${pattern}" contains non-ASCII characters; percent-encode them as UTF-8 (e.g. %C3%A9)`;
  for (const segment of pattern.split('/')) {
    if (segment.includes('**') && segment !== '**') return `"${pattern}": ** must be a whole segment, e.g. /a/**/b`;
  }
  const normal = normalizePath(pattern);
  if (!normal.ok) return `"${pattern}" is not a valid path: ${normal.reason}`;
  if (normal.path !== pattern) return `"${pattern}" is not a normalised path; write ${normal.path}`;
  return undefined;
}

export function compileGlob(pattern: string, caseSensitive = true): GlobResult {
  const problem = globProblem(pattern);
  if (problem) return { ok: false, message: problem };
  const source = caseSensitive ? pattern : pattern.toLowerCase();
  const raw = source.split('/').slice(1);
  // A final `*` means "this directory and everything below", exactly like `**`.
  const segments = raw.map((segment, i) => (segment === '**' || (i === raw.length - 1 && segment === '*') ? ANY_SEGMENTS : segment));
  const test = (path: string) => matchSegments(segments, (caseSensitive ? path : path.toLowerCase()).split('/').slice(1));
  return { ok: true, glob: { source: pattern, test } };
}

/** Stands for "zero or more whole segments" in a compiled pattern. */
const ANY_SEGMENTS = Symbol('**');
type PatternSegment = string | typeof ANY_SEGMENTS;

/** Does the pattern match the whole path? O(pattern segments x path segments) time. */
function matchSegments(pattern: readonly PatternSegment[], path: readonly string[]): boolean {
  // next[j]: does pattern[i+1..] match path[j..]? Filled from the end of the pattern backwards.
  let next = new Array<boolean>(path.length + 1).fill(false);
  next[path.length] = true;
  for (let i = pattern.length - 1; i >= 0; i--) {
    const seg = pattern[i]!;
    const cur = new Array<boolean>(path.length + 1).fill(false);
    for (let j = path.length; j >= 0; j--) {
      cur[j] = seg === ANY_SEGMENTS ? next[j]! || (j < path.length && cur[j + 1]!) : j < path.length && next[j + 1]! && matchSegment(seg, path[j]!);
    }
    next = cur;
  }
  return next[0]!;
}

/** `*` within one segment matches any run of characters: greedy two-pointer match, no backtracking blow-up. */
export function matchSegment(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The literal leading segments of a glob (before the first wildcard), and whether it has any wildcard.
 * Used to spot policy paths that can never fall under the app's pathPrefix.
 */
export function globLiteralHead(pattern: string): { segments: string[]; wildcard: boolean } {
  const all = pattern.split('/').slice(1);
  const firstWild = all.findIndex((s) => s.includes('*'));
  return firstWild < 0 ? { segments: all, wildcard: false } : { segments: all.slice(0, firstWild), wildcard: true };
}
