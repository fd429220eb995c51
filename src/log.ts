/**
 * Structured logging: one JSON object per line. Web-API only (runs on Node and workerd).
 *
 * Never pass tokens, secrets, passwords or cookie values as fields: `redact` drops well-known
 * sensitive field names as a second line of defence, not as the first.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SENSITIVE = /pass(word)?|secret|token|cookie|authorization|assertion|code_verifier|^code$/i;

export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SENSITIVE.test(k) ? '[redacted]' : v;
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to console.log / console.error. Tests pass a collector. */
  sink?: (line: string, level: LogLevel) => void;
  base?: LogFields;
  now?: () => Date;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const sink =
    opts.sink ?? ((line: string, level: LogLevel) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line)));
  const now = opts.now ?? (() => new Date());
  const base = opts.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    sink(JSON.stringify({ time: now().toISOString(), level, msg, ...redact({ ...base, ...fields }) }), level);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, base: { ...base, ...fields } }),
  };
}

/** A logger that keeps lines in memory, for tests that assert on logging. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, sink: (line) => lines.push(JSON.parse(line)) });
  return Object.assign(logger, { lines });
}
