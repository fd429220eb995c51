/**
 * src/cognito stays Web-API only (it runs in workerd too): no `node:` modules, Buffer or process in
 * any of its files, and the AWS SDK only as types or a dynamic import().
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** src/cognito runs on workerd too: Web APIs only, and the AWS SDK only through a lazy import(). */
const dir = join(import.meta.dirname, '../../src/cognito');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('src/cognito stays Web-API only', () => {
  it('has files to check', () => {
    expect(files).toEqual(expect.arrayContaining(['client.ts', 'user-directory.ts', 'password-auth.ts']));
  });
  for (const f of files) {
    it(`${f}: no node: modules, Buffer or process; the SDK only as types or import()`, () => {
      const code = readFileSync(join(dir, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/from ['"]node:/);
      expect(code).not.toMatch(/\bBuffer\b/);
      expect(code).not.toMatch(/\bprocess\./);
      for (const m of code.matchAll(/^import\s+(type\s+)?[^;]*?from\s+['"](@aws-sdk\/[^'"]+)['"]/gm)) {
        expect(m[1], `${f} imports ${m[2]} at start-up`).toBe('type ');
      }
    });
  }
});
