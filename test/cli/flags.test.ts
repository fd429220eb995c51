/**
 * Every command refuses flags it does not know (exit 2), names the flags it knows and suggests the
 * nearest one, before it reads a config or touches the network.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args';
import { COMMAND_FLAGS, main } from '../../src/cli/main';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const DEMO = ['--config', 'config/demo.yaml'];

describe('unknown flags', () => {
  it('explain --group (for --groups) exits 2, suggests --groups and lists what explain knows', async () => {
    const r = await run('explain', ...DEMO, '--group', 'admins', 'GET', 'https://gw.example/admin/x');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'explain: unknown flag --group (did you mean --groups?); explain knows --config, --user, --groups, --email, --claim, --scopes, --client, --auth, --token, --ip, --country, --header, --email-unverified',
    );
  });

  it.each([
    ['serve', ['--config', 'config/demo.yaml', '--wacth'], 'serve: unknown flag --wacth (did you mean --watch?); serve knows --config, --workers, --watch'],
    ['check', ['--conifg', 'config/demo.yaml'], 'check: unknown flag --conifg (did you mean --config?); check knows --config'],
    ['doctor', ['--config', 'config/demo.yaml', '--verbose'], 'doctor: unknown flag --verbose; doctor knows --config'],
    [
      'provision',
      ['--config', 'config/demo.yaml', '--dryrun'],
      'provision: unknown flag --dryrun (did you mean --dry-run?); provision knows --config, --templates, --pool-name, --domain, --dry-run, --create-pool',
    ],
    ['gen-key', ['--kid', 'k1'], 'gen-key: unknown flag --kid; gen-key takes no flags'],
    [
      'explain',
      [...DEMO, '-g', 'admins', 'GET', 'https://x/'],
      'explain: unknown flag -g; explain knows --config, --user, --groups, --email, --claim, --scopes, --client, --auth, --token, --ip, --country, --header, --email-unverified',
    ],
  ])('%s refuses it with exit 2', async (command, args, message) => {
    const r = await run(command, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toBe(message);
    expect(r.out).toBe('');
  });

  it('refuses stray arguments where a command takes none, and a value on a boolean flag', async () => {
    const stray = await run('check', 'config/demo.yaml');
    expect(stray.code).toBe(2);
    expect(stray.err).toBe('check: unexpected argument "config/demo.yaml"; check takes only flags (--config)');
    const valued = await run('provision', ...DEMO, '--dry-run=yes');
    expect(valued.code).toBe(2);
    expect(valued.err).toBe('provision: --dry-run takes no value');
  });

  it('takes a following flag for a forgotten value as a usage error, not as the value', async () => {
    const r = await run('explain', ...DEMO, '--user', '--groups', 'admins', 'GET', 'https://x/');
    expect(r.code).toBe(2);
    expect(r.err).toBe('explain: --user needs a value');
  });

  it('still accepts every declared flag, in both spellings', () => {
    const args = parseArgs(['--config=a.yaml', '--groups', 'x,y', '--email-unverified', 'GET', 'https://x/'], COMMAND_FLAGS.explain, 'explain');
    expect(args.flags.get('config')).toEqual(['a.yaml']);
    expect(args.flags.get('groups')).toEqual(['x,y']);
    expect([...args.bools]).toEqual(['email-unverified']);
    expect(args.positionals).toEqual(['GET', 'https://x/']);
    expect(() => parseArgs(['--nope'], { values: [] }, 'x')).toThrow(UsageError);
  });

  it('prints the usage for --help on any command (exit 0)', async () => {
    const r = await run('check', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^cognito-gateway: identity-aware reverse proxy/);
  });
});
