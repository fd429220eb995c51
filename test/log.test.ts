import { describe, expect, it } from 'vitest';
import { createLogger, isoTime, type LogFields } from '../src/log';

/** The line as the plain object construction gives it: {time, level, msg, ...base, ...fields}, sensitive names redacted. */
function expected(time: string, level: string, msg: string, base: LogFields, fields?: LogFields): string {
  const redact = (k: string) => /pass(word)?|secret|token|cookie|authorization|assertion|code_verifier|^code$/i.test(k);
  const line: LogFields = { time, level, msg };
  for (const k in base) line[k] = redact(k) ? '[redacted]' : base[k];
  if (fields) for (const k in fields) line[k] = redact(k) ? '[redacted]' : fields[k];
  return JSON.stringify(line);
}

const TIME = new Date('2026-12-01T14:00:00.123Z');

function linesOf(base: LogFields, child: LogFields | undefined, msg: string, fields?: LogFields): string[] {
  const lines: string[] = [];
  const root = createLogger({ sink: (l) => lines.push(l), now: () => TIME, base });
  (child ? root.child(child) : root).info(msg, fields);
  return lines;
}

describe('log lines (written without building the merged object when that gives the same text)', () => {
  const cases: Array<[string, LogFields, LogFields | undefined, LogFields | undefined]> = [
    ['access line', {}, { requestId: 'r1' }, { method: 'GET', path: '/x', status: 200, ms: 1.25, client: undefined, app: 'demo', bytes: 12 }],
    ['no fields', { service: 'gw' }, { requestId: 'r1' }, undefined],
    ['empty fields', {}, undefined, {}],
    ['only undefined values', {}, { requestId: 'r1' }, { a: undefined }],
    ['sensitive field', {}, { requestId: 'r1' }, { user: 'u', accessToken: 'eyJ', cookie: 'c=1' }],
    ['a field repeats a base key', {}, { requestId: 'r1' }, { path: '/p', requestId: 'r2' }],
    ['a field repeats a head key', {}, undefined, { msg: 'other', time: 'then', level: 'x' }],
    ['index-like key', {}, { requestId: 'r1' }, { z: 1, '7': 'seven' }],
    ['nested values and quotes', {}, { requestId: 'r"1' }, { obj: { a: [1, 'b'] }, q: 'say "hi"\n', d: new Date(0) }],
    ['message to escape', {}, undefined, { a: 1 }],
    ['toJSON field', {}, undefined, { toJSON: () => 'x', a: 1 }],
    ['an own __proto__ field', {}, { requestId: 'r1' }, JSON.parse('{"a":1,"__proto__":{"b":2}}') as LogFields],
    ['fields named like Object.prototype members', {}, { requestId: 'r1' }, { constructor: 'c', toString: 't', hasOwnProperty: 1 }],
    ['the same message twice in a row', {}, { requestId: 'r1' }, { a: 1 }],
  ];
  for (const [name, base, child, fields] of cases) {
    it(name, () => {
      const msg = name === 'message to escape' ? 'a "quoted"\tmessage' : 'request';
      const merged = { ...base, ...(child ?? {}) };
      expect(linesOf(base, child, msg, fields)).toEqual([expected(TIME.toISOString(), 'info', msg, merged, fields)]);
    });
  }

  it('checks every name that differs from the line before, wherever it comes: a known prefix never lets a sensitive, index-like or base name through', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), now: () => TIME }).child({ requestId: 'r1' });
    const seq: LogFields[] = [
      { method: 'GET', path: '/a', status: 200 },
      { method: 'GET', path: '/b', status: 200 },
      { method: 'GET', path: '/c', accessToken: 'eyJ.secret' },
      { method: 'GET', path: '/d', status: 200, '3': 'three' },
      { method: 'GET', requestId: 'r2' },
      { method: 'GET', path: '/e' },
      { method: 'GET', path: '/f', status: 200, cookie: 'c=1' },
    ];
    for (const f of seq) log.info('request', f);
    expect(lines).toEqual(seq.map((f) => expected(TIME.toISOString(), 'info', 'request', { requestId: 'r1' }, f)));
    expect(lines.join('\n')).not.toContain('eyJ.secret');
    expect(lines.join('\n')).not.toContain('c=1');
  });

  it('copies inherited fields as the object construction does', () => {
    const fields = Object.create({ inherited: 'yes' }) as LogFields;
    fields.own = 1;
    expect(linesOf({}, { requestId: 'r1' }, 'm', fields)).toEqual([
      '{"time":"2026-12-01T14:00:00.123Z","level":"info","msg":"m","requestId":"r1","own":1,"inherited":"yes"}',
    ]);
  });

  it('redacts sensitive base fields', () => {
    expect(linesOf({ clientSecret: 's' }, { sessionCookie: 'c' }, 'm', { ok: true })).toEqual([
      '{"time":"2026-12-01T14:00:00.123Z","level":"info","msg":"m","clientSecret":"[redacted]","sessionCookie":"[redacted]","ok":true}',
    ]);
  });
});

describe('isoTime', () => {
  it('gives the text of Date#toISOString, across seconds and out of the fast range', () => {
    const times = [
      0, 1, 999, 1000, 1_764_600_000_000, 1_764_600_000_999, 1_764_600_001_000, 1_764_599_999_999, 1_764_600_000_000, 1.5, -1, -1500, 253_402_300_799_999,
      253_402_300_800_000, 8.64e15,
    ];
    expect(times.map(isoTime)).toEqual(times.map((t) => new Date(t).toISOString()));
  });
});
