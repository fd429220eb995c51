/**
 * The demo config's policy decisions as rows: who asks, how, and the status the gateway answers.
 * The scenario table (table.ts) runs them over HTTP on Node and in workerd; test/agreement runs them
 * over HTTP and through `explain` and asserts that both say the same, row by row.
 */

/** Who asks: a signed-in browser (session), a machine token (bearer), or nobody. */
export type Who = 'anonymous' | 'alice' | 'bob' | 'carol' | 'machine' | 'machine-read';

export interface PolicyRow {
  who: Who;
  method: string;
  /** Raw request target, sent as is. */
  target: string;
  /** `Accept` of the request: `json` (an API client) or `html` (a browser navigation). */
  accept: 'json' | 'html';
  /** The gateway's status; 200 is the demo upstream's echo. */
  status: number;
}

const row = (who: Who, method: string, target: string, status: number, accept: 'json' | 'html' = 'json'): PolicyRow => ({
  who,
  method,
  target,
  accept,
  status,
});

export const DEMO_POLICY_ROWS: readonly PolicyRow[] = [
  row('alice', 'GET', '/admin/users', 200),
  row('bob', 'GET', '/admin/users', 403),
  row('carol', 'GET', '/admin', 403),
  row('alice', 'GET', '/partners/deals', 403),
  row('bob', 'GET', '/partners/deals', 403),
  row('carol', 'GET', '/partners/deals', 200),
  row('alice', 'GET', '/anything', 200),
  row('carol', 'GET', '/anything', 200),
  row('bob', 'GET', '/public/x', 200),
  row('bob', 'GET', '/api/things', 401),
  row('anonymous', 'GET', '/public/x', 200),
  row('anonymous', 'GET', '/anything', 401),
  row('anonymous', 'GET', '/anything', 302, 'html'),
  row('anonymous', 'GET', '/admin/users', 401),
  row('bob', 'GET', '/admin/../admin/x', 403),
  row('anonymous', 'GET', '/public/..%2fadmin', 400),
  row('machine', 'GET', '/api/things', 200),
  row('machine', 'DELETE', '/api/things', 200),
  row('machine-read', 'POST', '/api/things', 403),
  row('machine', 'GET', '/anything', 403),
  row('anonymous', 'GET', '/_auth/anything', 404),
  row('anonymous', 'POST', '/_auth/login', 405),
  row('anonymous', 'GET', '/_auth/healthz', 200),
  // Methods: /api/* is bearer-only for every method, WebDAV and extension methods included; TRACE is refused
  // (TRACK never reaches the gateway on Node: its HTTP parser answers 400 for unknown methods).
  row('bob', 'PROPFIND', '/api/things', 401),
  row('bob', 'OPTIONS', '/api/things', 401),
  row('bob', 'QUERY', '/api/things', 401),
  row('anonymous', 'TRACE', '/public/x', 405),
  // Spellings an upstream may read as /admin/... get the answer /admin/... gets, or 400.
  row('bob', 'GET', '/Admin/users', 403),
  row('anonymous', 'GET', '/ADMIN/users', 401),
  row('alice', 'GET', '/Admin/users', 200),
  row('anonymous', 'GET', '/public/x.', 400),
  row('anonymous', 'GET', '/public/x%20', 400),
  row('anonymous', 'GET', '/public/x::$DATA', 400),
  row('anonymous', 'GET', '/public/%252e%252e/admin', 400),
  row('anonymous', 'GET', '/public/%c0%ae%c0%ae/admin', 400),
  row('anonymous', 'GET', '/public/%EF%BC%8E%EF%BC%8E/admin', 400),
];
