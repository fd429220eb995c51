/**
 * Folder-level layering of src/: no folder imports a folder that imports it back, directly or round a
 * longer loop. A top-level file (src/log.ts) counts as a folder of its own. Type-only and dynamic
 * imports count too: they tie the folders together just the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/**
 * Cycles being removed by work in progress (issue 10). Empty this list as each lands; an entry that is
 * no longer a cycle fails the test, so the list cannot go stale.
 */
const CYCLES_BEING_REMOVED: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** `src/a/b.ts` → `a`; `src/log.ts` → `log`. */
const areaOf = (file: string) => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** area → areas it imports, with one file that does, for the message. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = areaOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), (m[1] ?? m[2])!);
      if (!target.startsWith(`${SRC}/`)) continue;
      const to = areaOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, relative(SRC, file));
    }
  }
  return graph;
}

/** Strongly connected components with more than one area (Tarjan). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return out;
}

describe('folder layering of src/', () => {
  it('finds the imports (the scan itself works)', () => {
    const graph = folderGraph();
    expect(graph.get('gateway')?.has('policy')).toBe(true);
    expect(graph.get('config')?.get('policy')).toBe('config/load.ts');
    // Dynamic import: the CLI loads the doctor lazily, and the Node runtime through `serve`.
    expect(graph.get('cli')?.has('runtime')).toBe(true);
  });

  it('has no folder-level import cycle beyond the ones being removed', () => {
    const graph = folderGraph();
    const found = cycles(graph).map((c) => c.join(' ⇄ '));
    const explainCycle = (c: string) => {
      const areas = c.split(' ⇄ ');
      return `${c}: ${areas.flatMap((a) => areas.filter((b) => graph.get(a)?.has(b)).map((b) => `${a}→${b} (${graph.get(a)!.get(b)})`)).join(', ')}`;
    };
    const unexpected = found.filter((c) => !CYCLES_BEING_REMOVED.includes(c));
    expect(unexpected.map(explainCycle)).toEqual([]);
    // A removed cycle must leave the list too.
    expect(CYCLES_BEING_REMOVED.filter((c) => !found.includes(c))).toEqual([]);
  });
});
