/**
 * Argv parsing for the operator CLI: `--flag value`, `--flag=value`, boolean flags, positionals.
 * Each command declares its flags; anything else is a usage error (exit 2) that lists the flags the
 * command knows and suggests the nearest one, so `--group` for `--groups` never passes silently.
 */
import { closestWord } from '../spelling';

export interface ParsedArgs {
  flags: Map<string, string[]>;
  bools: Set<string>;
  positionals: string[];
}

/** The flags one command accepts (names without the leading `--`). */
export interface FlagSpec {
  /** Flags that take a value (`--config FILE`, `--config=FILE`), repeatable. */
  values: readonly string[];
  /** Flags without a value (`--dry-run`). */
  booleans?: readonly string[];
  /** Whether the command takes positional arguments (explain: METHOD URL). Default false. */
  positionals?: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function knownFlags(spec: FlagSpec): string[] {
  return [...spec.values, ...(spec.booleans ?? [])].map((f) => `--${f}`);
}

function unknownFlag(command: string, given: string, spec: FlagSpec): UsageError {
  const known = knownFlags(spec);
  const near = closestWord(given, known);
  const list = known.length ? `${command} knows ${known.join(', ')}` : `${command} takes no flags`;
  return new UsageError(`${command}: unknown flag ${given}${near ? ` (did you mean ${near}?)` : ''}; ${list}`);
}

export function parseArgs(argv: readonly string[], spec: FlagSpec, command: string): ParsedArgs {
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  const positionals: string[] = [];
  const booleans = spec.booleans ?? [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-') || a === '-') {
      if (!spec.positionals)
        throw new UsageError(`${command}: unexpected argument ${JSON.stringify(a)}; ${command} takes only flags (${knownFlags(spec).join(', ') || 'none'})`);
      positionals.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw unknownFlag(command, a, spec);
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (booleans.includes(name)) {
      if (eq !== -1) throw new UsageError(`${command}: --${name} takes no value`);
      bools.add(name);
      continue;
    }
    if (!spec.values.includes(name)) throw unknownFlag(command, `--${name}`, spec);
    const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
    // `--user --groups x` is a forgotten value, not a user called "--groups".
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`${command}: --${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags, bools, positionals };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  return (args.flags.get(name) ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}
