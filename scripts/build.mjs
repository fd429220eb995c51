/**
 * `npm run build`: compiles src/ to ESM JavaScript in dist/ (one file per source file, same layout, with
 * source maps) and writes .d.ts declarations next to them. The installed package runs only this output.
 *
 *   node scripts/build.mjs
 *
 * Why esbuild and not tsc for the JavaScript: the sources import each other without extensions
 * (`moduleResolution: bundler`), which Node's ESM loader refuses; the plugin below resolves every
 * relative import to its file and rewrites it to the compiled `.js` path, leaving packages external.
 * tsc (7) writes the declarations; their relative imports get the same rewrite, so consumers on
 * `moduleResolution: node16/nodenext` resolve them too.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');

/** Sources that are not part of the package: the Worker demo imports a YAML file as a Text module. */
const EXCLUDED = new Set(['runtime/worker-demo.ts']);
/** The JavaScript the package runs on: the Node floor (see README "Node version"). */
const TARGET = 'node22.19';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function sourceEntries() {
  return walk(SRC).filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !EXCLUDED.has(relative(SRC, p).split(sep).join('/')));
}

/** The .ts file a relative specifier means: `./x` → x.ts or x/index.ts. */
function resolveSource(fromDir, spec) {
  const base = resolve(fromDir, spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const toPosixRelative = (fromDir, file) => {
  const rel = relative(fromDir, file).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/** Keeps every import external; relative ones point at the compiled sibling (`./x` → `./x.js`). */
const relativeImportsToJs = {
  name: 'relative-imports-to-js',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      const target = resolveSource(args.resolveDir, args.path);
      if (!target) return { errors: [{ text: `cannot resolve ${args.path} from ${relative(ROOT, args.importer)}` }] };
      return { path: toPosixRelative(args.resolveDir, target).replace(/\.ts$/, '.js'), external: true };
    });
  },
};

/** Declarations: `from './x'` → `from './x.js'` (or `./x/index.js`), judged by the .d.ts files that exist. */
function rewriteDeclarationImports(dir) {
  const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
  for (const file of walk(dir).filter((p) => p.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const out = text.replace(SPEC, (whole, lead, quote, spec) => {
      if (/\.(js|json|yaml)$/.test(spec)) return whole;
      const base = resolve(dirname(file), spec);
      if (existsSync(`${base}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
      if (existsSync(join(base, 'index.d.ts'))) return `${lead}${quote}${spec}/index.js${quote}`;
      return whole;
    });
    if (out !== text) writeFileSync(file, out);
  }
}

export async function build({ quiet = false } = {}) {
  const started = Date.now();
  // dist/worker is `npm run build:worker`'s output: keep it (the package's `files` leaves it out).
  if (existsSync(DIST)) for (const name of readdirSync(DIST)) if (name !== 'worker') rmSync(join(DIST, name), { recursive: true, force: true });
  const entryPoints = sourceEntries();
  await esbuild.build({
    entryPoints,
    outdir: DIST,
    outbase: SRC,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: TARGET,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [relativeImportsToJs],
  });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`tsc (declarations) failed:\n${tsc.stdout}${tsc.stderr}`);
  rewriteDeclarationImports(DIST);
  if (!quiet) console.log(`built ${entryPoints.length} modules and declarations into dist/ in ${Date.now() - started} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await build();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
