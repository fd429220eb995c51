/**
 * Syntax trees of TypeScript files from TypeScript 7's own parser (`typescript/unstable/*`: the Go
 * compiler, driven over IPC), for tests that read the code structurally instead of with regexes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, SourceFile } from 'typescript/unstable/ast';
import { createVirtualFileSystem } from 'typescript/unstable/fs';
import { API } from 'typescript/unstable/sync';

/** Parses in-memory files (name → text); returns name → SourceFile. Names need not exist on disk. */
export function parseSources(files: Record<string, string>): Map<string, SourceFile> {
  const base = '/parse-sources';
  const names = Object.keys(files);
  const virtual: Record<string, string> = {
    [`${base}/tsconfig.json`]: JSON.stringify({ compilerOptions: { noLib: true, types: [], noResolve: true }, include: ['**/*.ts'] }),
  };
  names.forEach((name, i) => {
    virtual[`${base}/f${i}.ts`] = files[name]!;
  });
  const api = new API({ cwd: base, fs: createVirtualFileSystem(virtual) });
  try {
    const project = api.updateSnapshot({ openProject: `${base}/tsconfig.json` }).getProjects()[0]!;
    return new Map(
      names.map((name, i) => {
        const sf = project.program.getSourceFile(`${base}/f${i}.ts`);
        if (!sf) throw new Error(`the TypeScript parser returned no source file for ${name}`);
        return [name, sf];
      }),
    );
  } finally {
    api.close();
  }
}

/** Every `.ts` file under `dir` (recursively), read from disk and parsed; keys are paths relative to `root`. */
export function parseTree(root: string, dir: string): Map<string, SourceFile> {
  const files: Record<string, string> = {};
  for (const d of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!d.isFile() || !d.name.endsWith('.ts')) continue;
    const path = join(d.parentPath, d.name);
    files[path.slice(root.length).replace(/^\/+/, '')] = readFileSync(path, 'utf8');
  }
  return parseSources(files);
}

/** Depth-first walk over a node and all its descendants. */
export function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  node.forEachChild((child) => {
    walk(child, visit);
    return undefined;
  });
}
