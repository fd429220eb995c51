#!/usr/bin/env node
/**
 * Fails when a test asserts something that cannot pin its outcome (project standard: every test
 * asserts something that can fail):
 * - a value whose only assertions are presence checks (`toBeTruthy()`, `toBeDefined()`,
 *   `not.toBeUndefined()`, `not.toBeNull()`, `not.toBeFalsy()`): a wrong value passes;
 * - a status whose only assertions are `not.toBe(<100..599>)` (or ranges): a 400, 502 or redirect
 *   loop passes;
 * - a skipped or focused test (`.skip`, `.only`, `.todo`, `skipIf`, `runIf`).
 * Assertions are grouped per test callback (or, outside a test, per enclosing function). A value counts
 * as pinned when any other assertion in the same group names it (as subject, part of a subject or an
 * argument), e.g. `expect(line).toBeTruthy(); expect(line!.msg).toBe('x')` passes.
 *
 * Reads the code with TypeScript 7's parser (`typescript/unstable/*`, the Go compiler over IPC),
 * never with a regex. Usage: `node scripts/check-test-assertions.mjs [files…]` (default: every
 * test/**\/*.test.ts). Exit 0 clean, 1 findings, 2 the parser failed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { API } from 'typescript/unstable/sync';
import { createVirtualFileSystem } from 'typescript/unstable/fs';
import {
  SyntaxKind,
  isArrowFunction,
  isCallExpression,
  isFunctionDeclaration,
  isFunctionExpression,
  isIdentifier,
  isMethodDeclaration,
  isPropertyAccessExpression,
} from 'typescript/unstable/ast';

const root = resolve(new URL('..', import.meta.url).pathname);

const PRESENCE = new Set(['toBeTruthy', 'toBeDefined']);
const PRESENCE_NEGATED = new Set(['toBeUndefined', 'toBeNull', 'toBeFalsy']);
const EXACT = new Set([
  'toBe',
  'toEqual',
  'toStrictEqual',
  'toBeOneOf',
  'toMatchObject',
  'toMatch',
  'toContain',
  'toContainEqual',
  'toHaveProperty',
  'toHaveLength',
  'toMatchInlineSnapshot',
  'toMatchSnapshot',
  'toThrow',
  'toThrowError',
  'toBeNaN',
  'toBeNull',
  'toBeUndefined',
  'toBeFalsy',
  'toBeInstanceOf',
  'toBeTypeOf',
  'toSatisfy',
  'toBeCloseTo',
]);
const NEGATED_STATUS = new Set(['toBe', 'toEqual', 'toStrictEqual']);
const TEST_FUNCTIONS = new Set(['it', 'test']);
const SKIPPING = new Set(['skip', 'only', 'todo', 'skipIf', 'runIf']);
const TEST_OR_SUITE = new Set(['it', 'test', 'describe', 'suite']);

/** Parses in-memory files with the TypeScript 7 compiler; returns name → SourceFile. */
export function parseSources(files) {
  const base = '/check-test-assertions';
  const virtual = { [`${base}/tsconfig.json`]: JSON.stringify({ compilerOptions: { noLib: true, types: [], noResolve: true }, include: ['**/*.ts'] }) };
  const names = Object.keys(files);
  names.forEach((name, i) => {
    virtual[`${base}/f${i}.ts`] = files[name];
  });
  const api = new API({ cwd: base, fs: createVirtualFileSystem(virtual) });
  try {
    const project = api.updateSnapshot({ openProject: `${base}/tsconfig.json` }).getProjects()[0];
    const out = new Map();
    names.forEach((name, i) => {
      const sf = project.program.getSourceFile(`${base}/f${i}.ts`);
      if (!sf) throw new Error(`the TypeScript parser returned no source file for ${name}`);
      out.set(name, sf);
    });
    return out;
  } finally {
    api.close();
  }
}

const compact = (sf, node) =>
  sf.text
    .slice(node.getStart?.(sf) ?? node.pos, node.end)
    .replace(/\s+/g, '')
    .replace(/!+$/, '');

/** `it`, `it.each(...)`, `test.concurrent` … → the root identifier and the member names on the way. */
function calleeChain(expr) {
  const members = [];
  for (;;) {
    if (isIdentifier(expr)) return { root: expr.text, members: members.reverse() };
    if (isPropertyAccessExpression(expr)) {
      members.push(expr.name.text);
      expr = expr.expression;
      continue;
    }
    if (isCallExpression(expr)) {
      expr = expr.expression;
      continue;
    } // it.each(table)(name, fn)
    return undefined;
  }
}

const isFunctionLike = (n) => isArrowFunction(n) || isFunctionExpression(n) || isFunctionDeclaration(n) || isMethodDeclaration(n);

/** The assertion `expect(subject, msg?)[.not|.resolves|.rejects]*.matcher(args)` that starts at `call`. */
function readAssertion(sf, call) {
  const subject = call.arguments[0];
  if (!subject) return undefined;
  const modifiers = [];
  let node = call;
  while (node.parent && isPropertyAccessExpression(node.parent) && node.parent.expression === node) {
    const name = node.parent.name.text;
    const next = node.parent.parent;
    if (next && isCallExpression(next) && next.expression === node.parent) {
      return {
        subject: compact(sf, subject),
        negated: modifiers.includes('not'),
        written: [...modifiers, name].join('.'),
        matcher: name,
        args: next.arguments.map((a) => compact(sf, a)),
        argNodes: [...next.arguments],
        node: call,
      };
    }
    modifiers.push(name);
    node = node.parent;
  }
  return undefined;
}

const statusLiteral = (n) => n && n.kind === SyntaxKind.NumericLiteral && Number(n.text) >= 100 && Number(n.text) <= 599;

/** `s` names value `v` when `v` is `s` or `s` followed by a member access or a call on it, or `v` uses `s` as a whole word. */
function mentions(text, value) {
  let at = text.indexOf(value);
  while (at !== -1) {
    const before = text[at - 1];
    const after = text[at + value.length];
    if ((before === undefined || !/[\w$.]/.test(before)) && (after === undefined || !/[\w$]/.test(after))) return true;
    at = text.indexOf(value, at + 1);
  }
  return false;
}

/** Findings for one parsed file: `{ line, column, message }`. */
export function findWeakAssertions(sf) {
  const findings = [];
  const groups = new Map(); // scope node → assertions
  const at = (node) => {
    const { line, character } = sf.getLineAndCharacterOfPosition?.(node.getStart(sf)) ?? lineColumn(sf.text, node.getStart(sf));
    return { line: line + 1, column: character + 1 };
  };

  const visit = (node, scope, inTest) => {
    if (isCallExpression(node)) {
      const chain = calleeChain(node.expression);
      if (chain && TEST_OR_SUITE.has(chain.root)) {
        const skip = chain.members.find((m) => SKIPPING.has(m));
        if (skip) findings.push({ ...at(node), message: `${chain.root}.${skip}: no skipped or focused tests` });
      }
      if (chain && TEST_FUNCTIONS.has(chain.root)) {
        const fn = [...node.arguments].reverse().find(isFunctionLike);
        if (fn) {
          node.forEachChild((c) => (c === fn ? visit(c, fn, true) : visit(c, scope, inTest)));
          return;
        }
      }
      if (isIdentifier(node.expression) && node.expression.text === 'expect') {
        const a = readAssertion(sf, node);
        if (a) {
          if (!groups.has(scope)) groups.set(scope, []);
          groups.get(scope).push(a);
        }
      }
    }
    const inner = isFunctionLike(node) && !inTest ? node : scope;
    node.forEachChild((c) => visit(c, inner, inTest));
  };
  visit(sf, sf, false);

  for (const assertions of groups.values()) {
    const bySubject = new Map();
    for (const a of assertions) {
      if (!bySubject.has(a.subject)) bySubject.set(a.subject, []);
      bySubject.get(a.subject).push(a);
    }
    for (const [subject, own] of bySubject) {
      const others = assertions.filter((a) => a.subject !== subject);
      const namedElsewhere = others.some((a) => mentions(a.subject, subject) || a.args.some((t) => mentions(t, subject)));
      const presence = (a) => (!a.negated && PRESENCE.has(a.matcher)) || (a.negated && PRESENCE_NEGATED.has(a.matcher));
      if (own.every(presence) && !namedElsewhere) {
        const a = own[0];
        findings.push({ ...at(a.node), message: `expect(${subject}).${a.written}() is the only assertion on this value: pin what it must be` });
      }
      const negatedStatus = own.find((a) => a.negated && NEGATED_STATUS.has(a.matcher) && statusLiteral(a.argNodes[0]));
      const pinned =
        own.some((a) => !a.negated && EXACT.has(a.matcher)) ||
        others.some((a) => !a.negated && EXACT.has(a.matcher) && a.args.some((t) => mentions(t, subject)));
      if (negatedStatus && !pinned) {
        findings.push({
          ...at(negatedStatus.node),
          message: `expect(${subject}).${negatedStatus.written}(${negatedStatus.args[0]}) is the only status assertion: pin the status it must be`,
        });
      }
    }
  }
  return findings.sort((x, y) => x.line - y.line || x.column - y.column);
}

function lineColumn(text, pos) {
  const before = text.slice(0, pos).split('\n');
  return { line: before.length - 1, character: before.at(-1).length };
}

function defaultFiles() {
  return readdirSync(join(root, 'test'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

function main(argv) {
  const paths = argv.length ? argv.map((p) => resolve(p)) : defaultFiles();
  let parsed;
  try {
    parsed = parseSources(Object.fromEntries(paths.map((p) => [p, readFileSync(p, 'utf8')])));
  } catch (e) {
    console.error(`check-test-assertions: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  let count = 0;
  for (const [path, sf] of parsed) {
    for (const f of findWeakAssertions(sf)) {
      console.error(`${relative(process.cwd(), path)}:${f.line}:${f.column}  ${f.message}`);
      count++;
    }
  }
  if (count) console.error(`check-test-assertions: ${count} weak assertion(s) in ${paths.length} file(s)`);
  else console.log(`check-test-assertions: ${paths.length} file(s), no weak assertions`);
  return count ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || resolve(process.argv[1] ?? '') === new URL(import.meta.url).pathname) {
  process.exitCode = main(process.argv.slice(2));
}
