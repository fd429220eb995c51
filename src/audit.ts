/**
 * The audit stream: one JSON line per decision that used an identity (who, which app and policy,
 * allow or deny, why), and per sign-in, sign-in failure, sign-out, refresh failure and config reload.
 * Separate from the access log so an auditor reads who may reach what without the traffic. Where the
 * lines go is the runtime's choice (Node: `audit.file` or stdout; Workers: the console).
 */
import { isReorderingKey } from './log';

export type AuditEventType = 'decision' | 'sign-in' | 'sign-in-failed' | 'sign-out' | 'refresh-failed' | 'config-reload';

export interface AuditEvent {
  type: AuditEventType;
  /** ISO time. */
  time: string;
  requestId?: string;
  /** Who: `sub`, plus the user name when there is one. Never a token or password. */
  sub?: string;
  user?: string;
  authMethod?: string;
  app?: string;
  policy?: string;
  /** decision: allow / deny / sign-in / unauthorized / bypass. */
  decision?: string;
  /** Why (the decision's reason, an error code). */
  reason?: string;
  clientAddress?: string;
  [field: string]: unknown;
}

export type AuditSink = (event: AuditEvent) => void;

/** JSON lines to a writer (stdout, a file, the console). */
export function jsonLinesAudit(write: (line: string) => void): AuditSink {
  return (event) => write(auditLine(event));
}

/**
 * `JSON.stringify({ stream: 'audit', ...event })`, without the copy when the text is the same: a
 * plain event with no `stream` key of its own (which would take the first place), no array-index
 * key (which an object orders first) and no `toJSON`.
 */
export function auditLine(event: AuditEvent): string {
  if (Object.getPrototypeOf(event) === Object.prototype) {
    let plain = true;
    for (const k in event) {
      // An array index starts with a digit: only such names need the (remembered) full check.
      const first = k.charCodeAt(0);
      if (k === 'stream' || k === 'toJSON' || (first >= 48 && first <= 57 && isReorderingKey(k))) {
        plain = false;
        break;
      }
    }
    if (plain) {
      const text = JSON.stringify(event);
      return text === '{}' ? '{"stream":"audit"}' : `{"stream":"audit",${text.slice(1)}`;
    }
  }
  return JSON.stringify({ stream: 'audit', ...event });
}

/** Keeps events in memory (tests). */
export function memoryAudit(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return Object.assign((e: AuditEvent) => void events.push(e), { events });
}
