/**
 * The commands that turn a checkout into an installed gateway. test/package/install.test.ts runs them;
 * the Dockerfile's stages must run the same ones (test/package/container.test.ts checks it).
 */
export const BUILD = ['node', 'scripts/build.mjs'];
export const pack = (destination: string) => ['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', destination];
export const installTarball = (tarball: string) => ['npm', 'install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball];
/** The folder the tarball is installed into holds only this package.json. */
export const EMPTY_PACKAGE_JSON = '{"private":true}';
