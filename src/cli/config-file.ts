import { readFile } from 'node:fs/promises';
import { loadConfig, type Env, type ResolvedConfig } from '../config/load';

/** Where the config comes from on Node: `--config FILE`, else GATEWAY_CONFIG, else config/gateway.yaml. */
export function configPathFrom(argv: string[], env: Env): string {
  const i = argv.indexOf('--config');
  if (i !== -1 && argv[i + 1]) return argv[i + 1]!;
  const eq = argv.find((a) => a.startsWith('--config='));
  if (eq) return eq.slice('--config='.length);
  return env.GATEWAY_CONFIG ?? 'config/gateway.yaml';
}

export async function readConfigFile(path: string, env: Env = process.env): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read config file ${path} (${code ?? (e as Error).message}); pass --config FILE or set GATEWAY_CONFIG`);
  }
  return loadConfig(text, env, path);
}
