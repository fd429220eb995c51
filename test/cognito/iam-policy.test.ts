/**
 * The documented least-privilege policy must name exactly the Cognito actions the code calls: a
 * missing action breaks a feature in production, an extra one is privilege nobody needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const policy = JSON.parse(readFileSync(join(root, 'docs/iam-policy.json'), 'utf8')) as { Statement: Array<{ Action: string[] }> };
const policyActions = new Set(policy.Statement.flatMap((s) => s.Action.map((a) => a.replace('cognito-idp:', ''))));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'));
}

describe('docs/iam-policy.json', () => {
  it('lists exactly the admin operations that the gateway, doctor and provision call', () => {
    const client = readFileSync(join(root, 'src/cognito/client.ts'), 'utf8');
    // Each CognitoAdmin method and the SDK command it sends, read from the client itself.
    const methodToCommand = new Map<string, string>();
    for (const m of client.matchAll(/^\s{4}(\w+):\s*(?:async\s*)?\([^)]*\)\s*=>[\s\S]*?new\s+sdk\.(\w+)Command/gm)) methodToCommand.set(m[1]!, m[2]!);
    expect(methodToCommand.size).toBeGreaterThan(5);
    const callers = [...sources('src/gateway'), ...sources('src/oidc'), ...sources('src/cli'), ...sources('src/cognito').filter((s) => !s.includes('export function createCognitoAdmin'))].join('\n');
    const called = new Set<string>();
    for (const [method, command] of methodToCommand) if (new RegExp(`\\.${method}\\(`).test(callers)) called.add(command);
    expect([...called].sort()).toEqual([...policyActions].sort());
  });
});
