/**
 * The documented least-privilege policy (docs/iam-policy.json) names exactly the Cognito actions the
 * code can send: a missing action breaks a feature in production, an extra one is privilege nobody
 * needs.
 *
 * The calls are read from the syntax trees of every file under src/ (TypeScript's own parser), not
 * from the text: every use of a `…Command` class the SDK exports (`new sdk.XCommand(…)` on the lazily
 * loaded module, or a named value import, aliased or not) is an action. A use inside an object member
 * (a CognitoAdmin method such as `getUser: () => call(…new sdk.AdminGetUserCommand…)`) counts only when
 * something in src/ calls that member (`admin.getUser(…)`); any other use counts as is. A second test
 * plants new calls in memory to show the reader finds them.
 */
import * as cognitoSdk from '@aws-sdk/client-cognito-identity-provider';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SyntaxKind,
  isCallExpression,
  isIdentifier,
  isImportDeclaration,
  isNamedImports,
  isNewExpression,
  isPropertyAccessExpression,
  isPropertyAssignment,
  isStringLiteral,
  type Node,
  type SourceFile,
} from 'typescript/unstable/ast';
import { describe, expect, it } from 'vitest';
import { parseSources, parseTree, walk } from '../helpers/typescript-ast';

const SDK_MODULE = '@aws-sdk/client-cognito-identity-provider';
/** The command classes the installed SDK exports (the runtime module is the source of truth). */
const SDK_COMMANDS = new Set(Object.keys(cognitoSdk).filter((name) => name.endsWith('Command') && name !== 'Command'));

/**
 * Operations the SDK sends unsigned (its model's `smithy.api#noAuth`, e.g. InitiateAuth): IAM does
 * not apply to them, so the policy must not list them. Asked of the SDK's own auth-scheme provider.
 */
const sdkForSchemes = new cognitoSdk.CognitoIdentityProviderClient({ region: 'us-east-1' });
const unsigned = (action: string) =>
  (sdkForSchemes.config.httpAuthSchemeProvider({ operation: action, region: 'us-east-1' }) as Array<{ schemeId: string }>).every(
    (o) => o.schemeId === 'smithy.api#noAuth',
  );

const root = new URL('../..', import.meta.url).pathname;
const policy = JSON.parse(readFileSync(join(root, 'docs/iam-policy.json'), 'utf8')) as { Statement: Array<{ Action: string[] }> };
const policyActions = [...new Set(policy.Statement.flatMap((s) => s.Action.map((a) => a.replace(/^cognito-idp:/, ''))))].sort();

/** The object member (`name: …` in an object literal) a node sits in, if any. */
function enclosingMember(node: Node): string | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (isPropertyAssignment(n) && isIdentifier(n.name)) return n.name.text;
  }
  return undefined;
}

/** IAM action names (`AdminGetUser`) the parsed sources can send. */
function calledActions(files: Map<string, SourceFile>): string[] {
  const uses: Array<{ command: string; member?: string }> = [];
  const calledMembers = new Set<string>();
  for (const sf of files.values()) {
    const localToCommand = new Map<string, string>(); // value imports from the SDK, by local name
    walk(sf, (n) => {
      if (isImportDeclaration(n) && isStringLiteral(n.moduleSpecifier) && n.moduleSpecifier.text === SDK_MODULE) {
        const clause = n.importClause;
        if (clause?.phaseModifier === SyntaxKind.TypeKeyword || !clause?.namedBindings || !isNamedImports(clause.namedBindings)) return;
        for (const spec of clause.namedBindings.elements) {
          const exported = spec.propertyName && isIdentifier(spec.propertyName) ? spec.propertyName.text : spec.name.text;
          if (!spec.isTypeOnly && SDK_COMMANDS.has(exported)) localToCommand.set(spec.name.text, exported);
        }
      }
      if (isCallExpression(n) && isPropertyAccessExpression(n.expression)) calledMembers.add(n.expression.name.text);
    });
    walk(sf, (n) => {
      let command: string | undefined;
      if (isNewExpression(n) && isPropertyAccessExpression(n.expression) && SDK_COMMANDS.has(n.expression.name.text)) command = n.expression.name.text;
      // Any reference to an imported command class (constructed, or handed to a helper), not the import itself.
      if (isIdentifier(n) && localToCommand.has(n.text) && n.parent?.kind !== SyntaxKind.ImportSpecifier) command = localToCommand.get(n.text);
      if (command) uses.push({ command, member: enclosingMember(n) });
    });
  }
  const called = uses.filter((u) => u.member === undefined || calledMembers.has(u.member)).map((u) => u.command.replace(/Command$/, ''));
  return [...new Set(called)].sort();
}

describe('docs/iam-policy.json', () => {
  it('lists exactly the Cognito actions that src/ can send', () => {
    expect(SDK_COMMANDS.has('AdminGetUserCommand')).toBe(true);
    const called = calledActions(parseTree(root, 'src'));
    expect(called.filter((a) => !unsigned(a))).toEqual(policyActions);
    // The unsigned ones the code sends (password sign-in with idp.passwordAuthFlow: user).
    expect(called.filter(unsigned)).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
    expect(unsigned('AdminInitiateAuth')).toBe(false);
  });

  it('the reader finds calls however they are written, and skips members nothing calls', () => {
    const files = parseSources({
      'lazy.ts': `
        type Sdk = typeof import('${SDK_MODULE}');
        export const build = (sdk: Sdk, client: { send(c: unknown): Promise<unknown> }) => ({
          used: () => client.send(new sdk.AdminGetUserCommand({})),
          unused: () => client.send(new sdk.DescribeUserPoolCommand({})),
          alsoUsed: () =>
            client
              .send(
                new sdk
                  .AdminUserGlobalSignOutCommand({}),
              ),
        });
        export const run = (a: ReturnType<typeof build>) => [a.used(), a.alsoUsed()];`,
      'named.ts': `
        import type { UserType } from '${SDK_MODULE}';
        import { AdminDeleteUserCommand as Delete, ListUsersCommand } from '${SDK_MODULE}';
        export const remove = (client: { send(c: unknown): unknown }) => client.send(new Delete({}));
        export const lister = { make: () => ListUsersCommand };`,
    });
    // ListUsers sits in a member nothing calls (`make`); DescribeUserPool likewise (`unused`).
    expect(calledActions(files)).toEqual(['AdminDeleteUser', 'AdminGetUser', 'AdminUserGlobalSignOut']);
  });
});
