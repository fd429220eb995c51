/**
 * Method gaps: a path with policies limited to some methods leaves every other method — WebDAV's
 * PROPFIND, MKCOL, extension methods like QUERY — to whatever policy comes next, often a broad
 * `allow` for any signed-in user. `check` warns about each such gap and `explain` points at it.
 */
import type { CompiledApp, CompiledPolicy } from './compile';

/** Methods probed for gaps: the common ones, WebDAV's, and an extension method. */
export const PROBE_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'QUERY',
] as const;

export interface MethodGap {
  app: string;
  /** The glob of the method-limited policy. */
  path: string;
  /** The method-limited policies on that path. */
  limitedBy: string[];
  methods: string[];
  /** The policy those methods fall through to (undefined: the default deny). */
  fallsTo: CompiledPolicy;
}

/** A concrete path a glob matches (`*` and `**` become one segment). */
function samplePath(glob: string): string {
  return glob.replace(/\*\*?/g, 'x');
}

function applies(policy: CompiledPolicy, method: string, path: string): boolean {
  if (policy.methods && !policy.methods.has(method)) return false;
  return !policy.paths || policy.paths.some((g) => g.test(path));
}

/** Pure: the gaps of one app, one per method-limited path whose other methods fall to a policy of another action. */
export function methodGaps(app: CompiledApp): MethodGap[] {
  const gaps: MethodGap[] = [];
  const seen = new Set<string>();
  for (const policy of app.policies) {
    if (!policy.methods || !policy.paths) continue;
    for (const glob of policy.paths) {
      if (seen.has(glob.source)) continue;
      seen.add(glob.source);
      const path = samplePath(glob.source);
      const limited = app.policies.filter((p) => p.methods && p.paths?.some((g) => g.test(path)));
      const byTarget = new Map<CompiledPolicy, string[]>();
      for (const method of PROBE_METHODS) {
        if (limited.some((p) => p.methods!.has(method))) continue;
        const next = app.policies.find((p) => applies(p, method, path));
        if (!next || next.action === policy.action) continue;
        byTarget.set(next, [...(byTarget.get(next) ?? []), method]);
      }
      for (const [fallsTo, methods] of byTarget) gaps.push({ app: app.id, path: glob.source, limitedBy: limited.map((p) => p.name), methods, fallsTo });
    }
  }
  return gaps;
}

export function describeMethodGap(gap: MethodGap): string {
  return (
    `app "${gap.app}": on ${gap.path}, methods ${gap.methods.join(', ')} match none of the method-limited policies there ` +
    `(${gap.limitedBy.map((n) => `"${n}"`).join(', ')}) and fall through to policy "${gap.fallsTo.name}" (${gap.fallsTo.action}); ` +
    `add a policy for ${gap.path} without methods (or list those methods) if that is not what you mean`
  );
}
