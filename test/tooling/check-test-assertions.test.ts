/**
 * scripts/check-test-assertions.mjs (run by `npm test` after the typecheck), run as the CLI it is:
 * it fails, naming file, line and assertion, on each weak assertion planted in
 * test/fixtures/assertion-check/weak.fixture.ts (presence-only checks, `not.toBe(<status>)` as the only
 * status check, a skipped test), passes the pinned versions of the same checks in strong.fixture.ts,
 * and passes on every test file in the tree.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const FIXTURES = 'test/fixtures/assertion-check';

function check(...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/check-test-assertions.mjs', ...files], { cwd: root }, (error, stdout, stderr) => {
      // TypeScript 7's compiler process may say "context canceled" as the API closes: shutdown noise, not a finding.
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr: stderr.replace(/^context canceled\n/gm, '') });
    });
  });
}

describe('check-test-assertions', () => {
  it('fails on every planted weak assertion, one line each', async () => {
    const r = await check(`${FIXTURES}/weak.fixture.ts`);
    expect(r.code).toBe(1);
    const at = `${FIXTURES}/weak.fixture.ts`;
    expect(r.stderr.trim().split('\n')).toEqual([
      `${at}:10:3  expect(line).toBeTruthy() is the only assertion on this value: pin what it must be`,
      `${at}:17:5  expect(res.headers.get('x-request-id')).toBeTruthy() is the only assertion on this value: pin what it must be`,
      `${at}:21:5  expect(lookUp('a')).toBeDefined() is the only assertion on this value: pin what it must be`,
      `${at}:25:5  expect(lookUp('b')).not.toBeUndefined() is the only assertion on this value: pin what it must be`,
      `${at}:29:11  expect(call()).resolves.toBeTruthy() is the only assertion on this value: pin what it must be`,
      `${at}:34:5  expect(res.status).not.toBe(500) is the only status assertion: pin the status it must be`,
      `${at}:39:5  expect(res.status).not.toBe(431) is the only status assertion: pin the status it must be`,
      `${at}:43:3  it.skip: no skipped or focused tests`,
      'check-test-assertions: 8 weak assertion(s) in 1 file(s)',
    ]);
  });

  it('accepts the same subjects when each is pinned', async () => {
    const r = await check(`${FIXTURES}/strong.fixture.ts`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('check-test-assertions: 1 file(s), no weak assertions');
  });

  it('passes on every test file in the tree', async () => {
    const r = await check();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toMatch(/^check-test-assertions: \d+ file\(s\), no weak assertions$/);
  });
});
