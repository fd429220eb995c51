/**
 * Human-readable rendering of a decision (for the `explain` command and debugging). Shows rules, so it is
 * for operators only, never for the 403 page.
 */
import type { Decision, PolicyTrace } from './evaluate';

const MARK = { yes: 'yes', no: 'no', unknown: 'unknown (needs sign-in)' } as const;

function formatPolicy(t: PolicyTrace, n: number): string[] {
  const head = `  ${n}. ${t.policy} [${t.action}]`;
  if (!t.applies) return [`${head} skipped: ${t.why}`];
  const lines = [`${head} applies: ${t.why}`];
  for (const r of t.rules ?? []) lines.push(`       ${r.rule} -> ${MARK[r.result]}`);
  for (const note of t.notes ?? []) lines.push(`       note: ${note}`);
  if (t.result) lines.push(`     => ${MARK[t.result]}`);
  return lines;
}

export function formatTrace(decision: Decision): string {
  const lines = [`app: ${decision.app}`];
  if (decision.trace.length === 0) lines.push('  (no policies)');
  for (const [i, t] of decision.trace.entries()) lines.push(...formatPolicy(t, i + 1));
  let verdict = `decision: ${decision.effect.toUpperCase()}`;
  verdict += decision.policy ? ` by policy "${decision.policy}"` : '';
  verdict += decision.rule ? ` (${decision.rule})` : '';
  lines.push(verdict, `reason: ${decision.reason}`);
  if (decision.bearerOnly) lines.push('bearer only: a browser is never sent to sign in here');
  if (decision.insufficientScope) lines.push(`missing scope: ${decision.insufficientScope.join(' or ')}`);
  return lines.join('\n');
}

/** Exit code for `explain`: 0 when the request would get through, 1 otherwise. */
export function decisionExitCode(decision: Decision): 0 | 1 {
  return decision.effect === 'allow' || decision.effect === 'bypass' ? 0 : 1;
}
