/**
 * Path globs for policies, compiled once at config load to anchored regular expressions.
 *
 * - `*` matches within one segment (`/files/*.pdf`, `/api/*\/items`).
 * - `**` (a whole segment) matches any number of segments, including none (`/a/**\/b`).
 * - A final `/*` (or `/**`) matches the directory itself, `/x/` and everything below. Guarding
 *   `/admin/*` must also guard `/admin`: most upstreams serve `/admin` and `/admin/` alike (or redirect
 *   one to the other), so leaving `/admin` to a later, weaker policy would be a side door.
 *
 * Patterns are written in normalised form (see normalizePath), so they compare with normalised paths.
 */
import { normalizePath } from './path';

export interface CompiledGlob {
  readonly source: string;
  test(path: string): boolean;
}

export type GlobResult = { ok: true; glob: CompiledGlob } | { ok: false; message: string };

const FORBIDDEN = /[?#[\]{}\\;\s]/;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
  const segments = source.split('/').slice(1);
  let regex = '^';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**' || (last && segment === '*')) {
      regex += '(?:/.*)?';
    } else {
      regex += `/${segment.split('*').map(escapeRegex).join('[^/]*')}`;
    }
  });
  const re = new RegExp(`${regex}$`, 's');
  return {
    ok: true,
    glob: {
      source: pattern,
      test: caseSensitive ? (path) => re.test(path) : (path) => re.test(path.toLowerCase()),
    },
  };
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
