/** README.md's error-code table lists exactly the catalogue's codes, with their statuses and titles. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/http';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const block = /<!-- error-codes:start -->([\s\S]*?)<!-- error-codes:end -->/.exec(readme)?.[1] ?? '';

describe('README error codes', () => {
  it('equal the catalogue, row for row', () => {
    const listed = [...block.matchAll(/^\| `([a-z_]+)` \| ([\d /]+) \| (.+) \|$/gm)].map((m) => [m[1], m[2]!.trim(), m[3]]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, [e.status, ...(e.statuses ?? [])].join(' / '), e.title]);
    expect(listed).toEqual(catalogue);
  });
});
