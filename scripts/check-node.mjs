// Fails fast when npm scripts are not running on the pinned Node (>= 22).
// `npm install --ignore-scripts` skips the `node` package's binary and then vitest crashes obscurely.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `cognito-gateway needs Node >= 22 (found ${process.versions.node}). ` +
      'Run `npm install` without --ignore-scripts so the pinned node@24 devDependency is installed.',
  );
  process.exit(1);
}
