import { describe, expect, it } from 'vitest';
import { auditLine, jsonLinesAudit, type AuditEvent } from '../src/audit';

const reference = (event: AuditEvent) => JSON.stringify({ stream: 'audit', ...event });

describe('audit lines (written without copying the event when that gives the same text)', () => {
  const events: Array<[string, AuditEvent]> = [
    [
      'decision',
      { type: 'decision', time: '2026-12-01T14:00:00.000Z', requestId: 'r1', sub: 's', user: undefined, app: 'demo', status: 200, clientAddress: '127.0.0.1' },
    ],
    ['a stream key of its own', { type: 'sign-in', time: 't', stream: 'other' }],
    ['an index-like key', { type: 'sign-in', time: 't', '3': 'x' }],
    ['a toJSON key', { type: 'sign-in', time: 't', toJSON: () => 'x' } as AuditEvent],
    ['escapes', { type: 'sign-in-failed', time: 't', reason: 'bad "x"\n', user: 'Jos\u00e9' }],
  ];
  for (const [name, event] of events) {
    it(name, () => {
      expect(auditLine(event)).toBe(reference(event));
    });
  }

  it('an event with another prototype is copied as before', () => {
    const event = Object.assign(Object.create({ inherited: 1 }), { type: 'sign-out', time: 't' }) as AuditEvent;
    expect(auditLine(event)).toBe('{"stream":"audit","type":"sign-out","time":"t"}');
  });

  it('jsonLinesAudit writes one line per event', () => {
    const lines: string[] = [];
    jsonLinesAudit((l) => lines.push(l))({ type: 'config-reload', time: 't', reason: 'ok' });
    expect(lines).toEqual(['{"stream":"audit","type":"config-reload","time":"t","reason":"ok"}']);
  });
});
