import { readFile } from 'node:fs/promises';
import { checkConfig } from '../config/check';
import { loadConfig, type Env, type ResolvedConfig } from '../config/load';

/** Where the config comes from on Node: `--config FILE`, else GATEWAY_CONFIG, else config/gateway.yaml. */
export function configPathFrom(argv: string[], env: Env): string {
  const i = argv.indexOf('--config');
  if (i !== -1 && argv[i + 1]) return argv[i + 1]!;
  const eq = argv.find((a) => a.startsWith('--config='));
  if (eq) return eq.slice('--config='.length);
  return env.GATEWAY_CONFIG ?? 'config/gateway.yaml';
}

/**
 * Reads and fully checks a config file: the schema (`loadConfig`) and everything building the gateway
 * checks (`checkConfig`), against the environment it will run with. `check`, `serve`, `explain`,
 * `doctor` and `provision` all load through here, so they accept and refuse the same files.
 */
export async function readConfigFile(path: string, env: Env = process.env): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read config file ${path} (${code ?? (e as Error).message}); pass --config FILE or set GATEWAY_CONFIG`);
  }
  const config = loadConfig(text, env, path);
  await checkConfig(config, env, path);
  return config;
}
