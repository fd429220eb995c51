/**
 * Structured logging: one JSON object per line. Web-API only (runs on Node and workerd).
 *
 * Never pass tokens, secrets, passwords or cookie values as fields: `redact` drops well-known
 * sensitive field names as a second line of defence, not as the first.
 */
import { rememberFirst } from './memo';

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

/** Whether a field name is one whose value must never be logged (remembered: field names are few). */
const isSensitive = rememberFirst(1000, (key) => SENSITIVE.test(key));

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

/** ISO text of the current time (lines share the formatting of the second they fall in). */
function isoNow(): string {
  return isoTime(Date.now());
}

let isoSecond = Number.NaN;
let isoPrefix = '';
const MILLIS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);
/** Times from 1970 to 9999 (whole milliseconds): `YYYY-MM-DDTHH:MM:SS.` is the same for a whole second. */
const ISO_PREFIX_UNTIL = 253_402_300_800_000;

/**
 * `new Date(ms).toISOString()`, which costs about a microsecond, for one or two lines per request:
 * the text up to the seconds is formatted once per second and the milliseconds appended.
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= ISO_PREFIX_UNTIL) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return isoPrefix + MILLIS[ms - second * 1000]!;
}

/**
 * Whether JSON.stringify of an object would not write this key where it was added: an array index
 * (which an object orders before every other key) or `toJSON` (which replaces the object). The log
 * and audit lines splice JSON only without such keys. Remembered: field names are few.
 */
export const isReorderingKey = rememberFirst(1000, (key) => key === 'toJSON' || /^[0-9]+$/.test(key));

/**
 * Field names a line's JSON can be spliced with (see `spliced`): not sensitive, not a reordering key,
 * not one of the head's (time, level, msg) and not `__proto__` (an assignment in `merged` would set
 * the prototype rather than a field). One remembered answer per name: field names are few.
 */
const isSpliceableKey = rememberFirst(
  1000,
  (key) => !isReorderingKey(key) && !isSensitive(key) && key !== 'time' && key !== 'level' && key !== 'msg' && key !== '__proto__',
);

/** The field names of the last line spliced after a name-by-name check, in order (see `spliced`). */
let lastSplicedKeys: readonly string[] = [];

/** `JSON.stringify(msg)`, remembered: messages are the code's literals (few). */
const messageText = rememberFirst(1000, (msg) => JSON.stringify(msg));

/** One class, so a per-request child logger is one small object rather than a set of closures. */
class JsonLogger implements Logger {
  /** `,"k":v` for the base fields, or null when they cannot be spliced (see emit); computed on first use. */
  private baseText: string | null | undefined;
  /** The base fields' names (a field of the same name cannot be spliced after them). */
  private readonly baseKeys: readonly string[];

  constructor(
    private readonly min: number,
    private readonly sink: Sink,
    private readonly now: (() => Date) | undefined,
    /** Already redacted. */
    private readonly base: LogFields,
  ) {
    this.baseKeys = Object.keys(base);
  }

  private emit(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.min) return;
    const time = this.now ? this.now().toISOString() : isoNow();
    const line = this.spliced(time, level, msg, fields);
    this.sink(line ?? this.merged(time, level, msg, fields), level);
  }

  /**
   * The line as one object {time, level, msg, ...base, ...fields} (fields redacted) would give it,
   * but without building that object: the head, the base fields' JSON and the fields' JSON are
   * joined. That is the same text whenever no field needs redacting, none repeats a key before it
   * (which the object would keep in the earlier place) and fields is a plain object (for-in would also
   * copy inherited keys); otherwise undefined, and `merged` builds the object.
   */
  private spliced(time: string, level: LogLevel, msg: string, fields: LogFields | undefined): string | undefined {
    let base = this.baseText;
    if (base === undefined) base = this.baseText = baseTextOf(this.base);
    if (base === null) return undefined;
    const head = `{"time":"${time}","level":"${level}","msg":${messageText(msg)}${base}`;
    if (!fields) return `${head}}`;
    const proto = Object.getPrototypeOf(fields);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const baseKeys = this.baseKeys;
    // Names checked before in this very order (the access line's, every request) are pointer
    // comparisons with that list; any other name is checked (a remembered answer per name).
    const known = lastSplicedKeys;
    let position = 0;
    let same = true;
    for (const k in fields) {
      if (same && known[position] === k) position++;
      else {
        same = false;
        if (!isSpliceableKey(k)) return undefined;
      }
      if (baseKeys.length !== 0 && baseKeys.includes(k)) return undefined;
    }
    if (!same) lastSplicedKeys = Object.keys(fields);
    const text = JSON.stringify(fields);
    return text === '{}' ? `${head}}` : `${head},${text.slice(1)}`;
  }

  private merged(time: string, level: LogLevel, msg: string, fields: LogFields | undefined): string {
    const line: LogFields = { time, level, msg };
    for (const k in this.base) line[k] = this.base[k];
    if (fields) for (const k in fields) line[k] = isSensitive(k) ? '[redacted]' : fields[k];
    return JSON.stringify(line);
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

/** `,"k":v…` of already-redacted base fields; null when a key is one the head holds or an array index. */
function baseTextOf(base: LogFields): string | null {
  for (const k in base) if (/^[0-9]+$/.test(k) || k === 'time' || k === 'level' || k === 'msg' || k === 'toJSON') return null;
  const text = JSON.stringify(base);
  return text === '{}' ? '' : `,${text.slice(1, -1)}`;
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
