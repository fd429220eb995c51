/**
 * docs/recipes/: each page's config block is the one config/demo.yaml ships (so the flows that
 * test/recipes/ runs on the demo config are the ones the pages show), and every page is linked from
 * the recipes index and from README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = new URL('../../docs/recipes/', import.meta.url);
const demo = parse(readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8')) as Record<string, unknown> & { apps: Array<{ id: string }> };
const pages = readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md');

/** Every `<!-- demo-config: KEY -->` marker with the yaml block after it. */
function blocks(text: string): Array<{ key: string; yaml: string }> {
  return [...text.matchAll(/<!-- demo-config: ([\w.-]+) -->\n```yaml\n([\s\S]*?)```/g)].map((m) => ({ key: m[1]!, yaml: m[2]! }));
}

describe('docs/recipes', () => {
  it.each(pages)('%s shows the config block config/demo.yaml ships', (page) => {
    const found = blocks(readFileSync(new URL(page, DIR), 'utf8'));
    expect(found.length, 'at least one demo-config block').toBeGreaterThan(0);
    for (const { key, yaml } of found) {
      if (key.startsWith('root.')) {
        const name = key.slice('root.'.length);
        expect(parse(yaml), key).toEqual({ [name]: demo[name] });
      } else {
        const app = demo.apps.find((a) => a.id === key);
        expect(app, `config/demo.yaml has an app "${key}"`).toBeTypeOf('object');
        expect(parse(yaml), key).toEqual([app]);
      }
    }
  });

  it('every page is listed in the recipes index and README.md links the index', () => {
    const index = readFileSync(new URL('README.md', DIR), 'utf8');
    for (const page of pages) expect(index, page).toContain(`](${page})`);
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain('docs/recipes/');
  });
});
