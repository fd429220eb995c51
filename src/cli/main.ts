/**
 * The operator CLI (`npx cognito-gateway …`, or `npm run cli -- …` in a checkout).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/load';
import { generateAssertionKey } from '../tokens';
import { type FlagSpec, parseArgs, UsageError } from './args';
import { readConfigFile } from './config-file';
import { EXPLAIN_FLAGS, EXPLAIN_USAGE, runExplain } from './explain';

const USAGE = `cognito-gateway: identity-aware reverse proxy for Amazon Cognito

commands:
  serve     --config FILE [--watch]      run the gateway (Node; --workers N|auto for several processes)
  explain   --config FILE … METHOD URL   show how the policies decide one request (exit 0 allow, 1 deny)
  check     --config FILE                run every check serve runs, without starting (exit 0: serve starts; 2 invalid)
  doctor    --config FILE                check the Cognito app client and pool against the config
  provision --config FILE [--dry-run] [--templates DIR] [--create-pool] [--pool-name NAME] [--domain PREFIX]
                                         create or update the pool, its domain, MFA, identity providers
                                         and one app client per realm from request templates
  gen-key                                print a new ES256 private JWK for GATEWAY_ASSERTION_KEYS
  access-report --config FILE [--users] [--format markdown|json|html] [--out FILE]
                                         who may reach what: rules per app and policy; --users adds the
                                         pool's users (ListUsers, ListGroups, ListUsersInGroup)

Unknown flags are refused (exit 2) with the flags the command knows.

${EXPLAIN_USAGE}`;

/** The flags each command accepts; anything else exits 2 naming these (src/cli/args.ts). */
export const COMMAND_FLAGS = {
  serve: { values: ['config', 'workers'], booleans: ['watch'] },
  explain: EXPLAIN_FLAGS,
  check: { values: ['config'] },
  doctor: { values: ['config'] },
  provision: { values: ['config', 'templates', 'pool-name', 'domain'], booleans: ['dry-run', 'create-pool'] },
  'gen-key': { values: [] },
  'access-report': { values: ['config', 'format', 'out'], booleans: ['users'] },
} as const satisfies Record<string, FlagSpec>;

export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const [command, ...rest] = argv;
  if (command && command in COMMAND_FLAGS && (rest.includes('--help') || rest.includes('-h'))) {
    out(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'explain': {
        const args = parseArgs(rest, COMMAND_FLAGS.explain, command);
        const config = await readConfigFile(requireConfig(args.flags.get('config')?.at(-1)));
        return runExplain(config, args, out);
      }
      case 'check': {
        const args = parseArgs(rest, COMMAND_FLAGS.check, command);
        const path = requireConfig(args.flags.get('config')?.at(-1));
        // The same loading and checks as serve (readConfigFile runs checkConfig): valid here means serve starts.
        const config = await readConfigFile(path);
        for (const w of config.warnings) out(`warning: ${w}`);
        out(`${path}: valid (${config.apps.length} app${config.apps.length === 1 ? '' : 's'}: ${config.apps.map((a) => a.id).join(', ')})`);
        if (config.realms.length > 1) out(`realms: ${config.realms.map((r) => `${r.name} (app client ${r.idp.clientId}: ${r.apps.join(', ')})`).join('; ')}`);
        return 0;
      }
      case 'gen-key':
        parseArgs(rest, COMMAND_FLAGS['gen-key'], command);
        out(await generateAssertionKey());
        return 0;
      case 'serve': {
        parseArgs(rest, COMMAND_FLAGS.serve, command);
        const { runNodeMain } = await import('./serve');
        await runNodeMain(rest);
        return 0;
      }
      case 'doctor': {
        const args = parseArgs(rest, COMMAND_FLAGS.doctor, command);
        const { runDoctor } = await import('./doctor');
        return await runDoctor(requireConfig(args.flags.get('config')?.at(-1)), { env: process.env, out });
      }
      case 'provision': {
        const args = parseArgs(rest, COMMAND_FLAGS.provision, command);
        const { runProvision } = await import('./provision');
        return await runProvision(requireConfig(args.flags.get('config')?.at(-1)), {
          dryRun: args.bools.has('dry-run'),
          createPool: args.bools.has('create-pool'),
          templates: args.flags.get('templates')?.at(-1),
          poolName: args.flags.get('pool-name')?.at(-1),
          domain: args.flags.get('domain')?.at(-1),
          env: process.env,
          out,
        });
      }
      case 'access-report': {
        const args = parseArgs(rest, COMMAND_FLAGS['access-report'], command);
        const format = args.flags.get('format')?.at(-1) ?? 'markdown';
        if (!['markdown', 'json', 'html'].includes(format)) throw new UsageError(`access-report: --format is markdown, json or html (got "${format}")`);
        const config = await readConfigFile(requireConfig(args.flags.get('config')?.at(-1)));
        const { runAccessReport } = await import('./access-report');
        return await runAccessReport(config, { users: args.bools.has('users'), format, outFile: args.flags.get('out')?.at(-1), env: process.env, out });
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
