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

const sensitiveKeys = new Map<string, boolean>();

/** Whether a field name is one whose value must never be logged (cached: field names are few). */
function isSensitive(key: string): boolean {
  let hit = sensitiveKeys.get(key);
  if (hit === undefined) {
    hit = SENSITIVE.test(key);
    if (sensitiveKeys.size < 1000) sensitiveKeys.set(key, hit);
  }
  return hit;
}

export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const k in fields) out[k] = isSensitive(k) ? '[redacted]' : fields[k];
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to console.log / console.error. Tests pass a collector. */
  sink?: (line: string, level: LogLevel) => void;
  base?: LogFields;
  now?: () => Date;
}

type Sink = (line: string, level: LogLevel) => void;

const consoleSink: Sink = (line, level) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line));

let lastMs = -1;
let lastIso = '';

/** The current time as ISO text; lines written in the same millisecond share one string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** One class, so a per-request child logger is one small object rather than a set of closures. */
class JsonLogger implements Logger {
  constructor(
    private readonly min: number,
    private readonly sink: Sink,
    private readonly now: (() => Date) | undefined,
    /** Already redacted. */
    private readonly base: LogFields,
  ) {}

  private emit(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.min) return;
    const line: LogFields = { time: this.now ? this.now().toISOString() : isoNow(), level, msg };
    for (const k in this.base) line[k] = this.base[k];
    if (fields) for (const k in fields) line[k] = isSensitive(k) ? '[redacted]' : fields[k];
    this.sink(JSON.stringify(line), level);
  }

  debug(m: string, f?: LogFields) {
    this.emit('debug', m, f);
  }
  info(m: string, f?: LogFields) {
    this.emit('info', m, f);
  }
  warn(m: string, f?: LogFields) {
    this.emit('warn', m, f);
  }
  error(m: string, f?: LogFields) {
    this.emit('error', m, f);
  }

  child(fields: LogFields): Logger {
    const base: LogFields = { ...this.base };
    for (const k in fields) base[k] = isSensitive(k) ? '[redacted]' : fields[k];
    return new JsonLogger(this.min, this.sink, this.now, base);
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return new JsonLogger(LEVELS[opts.level ?? 'info'], opts.sink ?? consoleSink, opts.now, redact(opts.base ?? {}));
}

/** A logger that keeps lines in memory, for tests that assert on logging. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, sink: (line) => lines.push(JSON.parse(line)) });
  return Object.assign(logger, { lines });
}

/** A JSON log line as a line for people (`logFormat: pretty`): time, level, message, then key=value. */
export function prettyLine(jsonLine: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, ...rest } = o;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  return [
    String(time ?? ''),
    String(level ?? '')
      .toUpperCase()
      .padEnd(5),
    String(msg ?? ''),
    ...fields,
  ].join(' ');
}
