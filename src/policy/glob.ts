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
 * seconds (catastrophic backtracking). The common shapes (a literal path; a literal head and a final
 * `/*` or `/**`) are one string comparison; the others are matched by dynamic programming over
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
  const segments = patternSegments(source);
  const matches = specialise(source, segments);
  const test = caseSensitive ? matches : (path: string) => matches(path.toLowerCase());
  return { ok: true, glob: { source: pattern, test } };
}

/** A pattern's segments, a final `*` meaning "this directory and everything below", exactly like `**`. */
function patternSegments(source: string): PatternSegment[] {
  const raw = source.split('/').slice(1);
  return raw.map((segment, i) => (segment === '**' || (i === raw.length - 1 && segment === '*') ? ANY_SEGMENTS : segment));
}

/**
 * The matcher for a pattern's shape. The shapes policies use most are plain string tests, with the
 * same answers as the segment DP (test/policy/glob.test.ts compares them on a table):
 * - no wildcard at all (`/exact`, `/dir/`): the path is the pattern;
 * - literal segments, then only `**` or a final `*` (`/admin/*`, `/a/**`, `/*`): the path is the
 *   literal head or starts with it plus `/` (any, even empty, segments follow).
 * Everything else (`*` inside a segment, `**` in the middle) goes through the DP.
 */
function specialise(source: string, segments: readonly PatternSegment[]): (path: string) => boolean {
  const bySegments = (path: string) => matchSegments(segments, pathSegments(path));
  const firstWild = segments.findIndex((s) => s === ANY_SEGMENTS || s.includes('*'));
  // (A path without its leading `/`, never a normalised one, still gets the DP's answer.)
  if (firstWild === -1) return (path) => (path.charCodeAt(0) === SLASH ? path === source : bySegments(path));
  const head = segments.slice(0, firstWild) as string[];
  const onlyAnyAfterHead = segments.slice(firstWild).every((s) => s === ANY_SEGMENTS);
  if (!onlyAnyAfterHead) return bySegments;
  if (head.length === 0) return () => true;
  const literal = `/${head.join('/')}`;
  const below = `${literal}/`;
  return (path) => (path.charCodeAt(0) === SLASH ? path === literal || path.startsWith(below) : bySegments(path));
}

const SLASH = 0x2f;

/** The DP matcher alone, for every pattern shape: what the specialised matchers are tested against. */
export function compileGlobBySegments(pattern: string, caseSensitive = true): (path: string) => boolean {
  const segments = patternSegments(caseSensitive ? pattern : pattern.toLowerCase());
  return (path) => matchSegments(segments, (caseSensitive ? path : path.toLowerCase()).split('/').slice(1));
}

/** Stands for "zero or more whole segments" in a compiled pattern. */
const ANY_SEGMENTS = Symbol('**');
type PatternSegment = string | typeof ANY_SEGMENTS;

// The last path split, reused: several globs of a request (each policy's) test the same path. The
// key, the path string itself, is all a split depends on.
let lastPath: string | undefined;
let lastSegments: readonly string[] = [];
function pathSegments(path: string): readonly string[] {
  if (path !== lastPath) {
    lastSegments = path.split('/').slice(1);
    lastPath = path;
  }
  return lastSegments;
}

// Two DP rows reused across calls (matching is synchronous, so never re-entered), grown as needed.
let rowA = new Uint8Array(64);
let rowB = new Uint8Array(64);

/** Does the pattern match the whole path? O(pattern segments x path segments) time. */
function matchSegments(pattern: readonly PatternSegment[], path: readonly string[]): boolean {
  const n = path.length;
  if (rowA.length <= n) {
    rowA = new Uint8Array(2 * (n + 1));
    rowB = new Uint8Array(2 * (n + 1));
  }
  // next[j]: does pattern[i+1..] match path[j..]? Filled from the end of the pattern backwards.
  let next = rowA;
  let cur = rowB;
  next.fill(0, 0, n + 1);
  next[n] = 1;
  for (let i = pattern.length - 1; i >= 0; i--) {
    const seg = pattern[i]!;
    for (let j = n; j >= 0; j--) {
      if (seg === ANY_SEGMENTS) cur[j] = next[j] || (j < n && cur[j + 1]) ? 1 : 0;
      else cur[j] = j < n && next[j + 1] && matchSegment(seg, path[j]!) ? 1 : 0;
    }
    const done = next;
    next = cur;
    cur = done;
  }
  return next[0] === 1;
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
