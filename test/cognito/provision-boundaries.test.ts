/**
 * Provisioning is CLI-only: no module the Worker or the Node gateway loads reaches src/cognito/provision*
 * (static or dynamic imports), and the IAM policy keeps its actions in the provisioning statements,
 * apart from the runtime statement.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every src file reachable from `entry`, relative to src/. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const rel = relative(SRC, file);
    if (seen.has(rel)) return;
    seen.add(rel);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const base = resolve(dirname(file), (m[1] ?? m[2])!);
      const target = [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), `${base}/index.ts`].find((p) => p.endsWith('.ts') && existsSync(p));
      if (target?.startsWith(`${SRC}/`)) visit(target);
    }
  };
  visit(resolve(SRC, entry));
  return seen;
}

describe('provisioning stays out of the runtime', () => {
  it.each(['runtime/worker.ts', 'runtime/node.ts', 'cli/serve.ts'])('%s reaches no provisioning module', (entry) => {
    const files = [...reachable(entry)];
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => /cognito\/provision/.test(f))).toEqual([]);
  });

  it('the CLI reaches them (the walk follows imports)', () => {
    expect([...reachable('cli/provision.ts')].filter((f) => /cognito\/provision/.test(f)).sort()).toEqual([
      'cognito/provision-admin.ts',
      'cognito/provision-diff.ts',
      'cognito/provision-sdk.ts',
      'cognito/provision-specs.ts',
      'cognito/provision-templates.ts',
      'cognito/provision.ts',
    ]);
  });

  it('the IAM policy grants the provisioning actions only in the provisioning statements', () => {
    const policy = JSON.parse(readFileSync(resolve(SRC, '../docs/iam-policy.json'), 'utf8')) as { Statement: Array<{ Sid: string; Action: string[] }> };
    const admin = readFileSync(resolve(SRC, 'cognito/provision-admin.ts'), 'utf8');
    const used = [...new Set([...admin.matchAll(/new sdk\.(\w+)Command\(/g)].map((m) => `cognito-idp:${m[1]}`))].sort();
    const provisioning = policy.Statement.filter((s) => s.Sid.startsWith('Provisioning')).flatMap((s) => s.Action);
    const runtime = policy.Statement.find((s) => s.Sid.startsWith('GatewayRuntime'))!.Action;
    // DescribeUserPoolClient is shared with doctor and sits in its own read statement.
    expect(used.filter((a) => !provisioning.includes(a))).toEqual(['cognito-idp:DescribeUserPoolClient']);
    expect(runtime.filter((a) => used.includes(a))).toEqual([]);
  });
});
