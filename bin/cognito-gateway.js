#!/usr/bin/env node
// The package's command. The Node check comes first and imports nothing: the dependencies (undici 8)
// crash with obscure errors on an older Node, and static imports would run before any check.
// Syntax that any Node since 14.8 (top-level await) parses, so the check gets to run.
const NODE_FLOOR = '22.19.0'; // = package.json "engines"; the highest floor among the runtime dependencies (undici)

function olderThan(found, needed) {
  const a = found.split('.').map(Number);
  const b = needed.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

if (olderThan(process.versions.node, NODE_FLOOR)) {
  console.error(`cognito-gateway needs Node >= ${NODE_FLOOR} (found ${process.versions.node} at ${process.execPath})`);
  process.exit(1);
}

// The installed package runs the compiled JavaScript in dist/. A git checkout (src/ present, tsx
// installed as a devDependency) runs the current source instead, so it never runs a stale build.
const { existsSync } = await import('node:fs');
const srcMain = new URL('../src/cli/main.ts', import.meta.url);
const tsx = existsSync(srcMain) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
let main;
if (tsx) {
  tsx.register();
  ({ main } = await import(srcMain.href));
} else {
  const distMain = new URL('../dist/cli/main.js', import.meta.url);
  if (!existsSync(distMain)) {
    console.error('cognito-gateway: dist/ is missing; run `npm run build` first');
    process.exit(1);
  }
  ({ main } = await import(distMain.href));
}
process.exitCode = await main(process.argv.slice(2));
