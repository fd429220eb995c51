/** README.md's endpoint table names every reserved endpoint the gateway answers (decide.ts ENDPOINTS). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/gateway/decide';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Endpoints'), readme.indexOf('## Error codes'));

describe('README endpoints', () => {
  it('lists every reserved endpoint in its table', () => {
    const listed = new Set([...section.matchAll(/^\| `(\/_auth\/[^`?\s]*)/gm)].map((m) => m[1]));
    expect(Object.keys(ENDPOINTS).filter((path) => !listed.has(path))).toEqual([]);
    expect(listed.has('/_auth/password/challenge')).toBe(true);
  });
});
