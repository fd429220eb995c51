/** The gateway's version (package.json's; a test keeps them equal). Shown in build_info and `--version`. */
export const GATEWAY_VERSION = '0.1.0';
