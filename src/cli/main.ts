/**
 * The operator CLI (`npx cognito-gateway …`, or `npm run cli -- …` in a checkout).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/load';
import { generateAssertionKey } from '../tokens';
import { parseArgs, UsageError } from './args';
import { readConfigFile } from './config-file';
import { EXPLAIN_USAGE, runExplain } from './explain';

const USAGE = `cognito-gateway: identity-aware reverse proxy for Amazon Cognito

commands:
  serve     --config FILE [--watch]      run the gateway (Node; --workers N|auto for several processes)
  explain   --config FILE … METHOD URL   show how the policies decide one request (exit 0 allow, 1 deny)
  check     --config FILE                validate a config file (exit 0 valid, 2 invalid)
  doctor    --config FILE                check the Cognito app client and pool against the config
  provision --config FILE [--dry-run] [--template FILE] [--create-pool]
                                         create or update the app client from the config
  gen-key                                print a new ES256 private JWK for GATEWAY_ASSERTION_KEYS

${EXPLAIN_USAGE}`;

export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'explain': {
        const args = parseArgs(rest, ['email-unverified']);
        const config = await readConfigFile(requireConfig(args.flags.get('config')?.at(-1)));
        return runExplain(config, args, out);
      }
      case 'check': {
        const args = parseArgs(rest);
        const path = requireConfig(args.flags.get('config')?.at(-1));
        const config = await readConfigFile(path);
        for (const w of config.warnings) out(`warning: ${w}`);
        out(`${path}: valid (${config.apps.length} app${config.apps.length === 1 ? '' : 's'}: ${config.apps.map((a) => a.id).join(', ')})`);
        return 0;
      }
      case 'gen-key':
        out(await generateAssertionKey());
        return 0;
      case 'serve': {
        const { runNodeMain } = await import('./serve');
        await runNodeMain(rest);
        return 0;
      }
      case 'doctor': {
        const args = parseArgs(rest);
        const { runDoctor } = await import('./doctor');
        return await runDoctor(requireConfig(args.flags.get('config')?.at(-1)), { env: process.env, out });
      }
      case 'provision': {
        const args = parseArgs(rest, ['dry-run', 'create-pool']);
        const { runProvision } = await import('./provision');
        return await runProvision(requireConfig(args.flags.get('config')?.at(-1)), {
          dryRun: args.bools.has('dry-run'),
          createPool: args.bools.has('create-pool'),
          template: args.flags.get('template')?.at(-1),
          env: process.env,
          out,
        });
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return command ? 0 : 2;
      default:
        err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(e.message);
      return 2;
    }
    err((e as Error).message);
    return 2;
  }
}

function requireConfig(path: string | undefined): string {
  const p = path ?? process.env.GATEWAY_CONFIG;
  if (!p) throw new UsageError('--config FILE is required (or set GATEWAY_CONFIG)');
  return p;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
