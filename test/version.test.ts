/** src/version.ts says the version package.json says (build_info and the CLI report it). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_VERSION } from '../src/version';

describe('version', () => {
  it('equals package.json', () => {
    expect(GATEWAY_VERSION).toBe((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  });
});
