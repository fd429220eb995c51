/**
 * Field-by-field differences between a rendered request and what Cognito describes. Only the
 * fields the request names are compared (Describe answers with more); nested objects are compared
 * leaf by leaf, lists as sets. Values under secret-looking keys are never printed. Pure.
 */

export interface FieldChange {
  /** Dotted path: `Policies.PasswordPolicy.MinimumLength`. */
  path: string;
  added?: string[];
  removed?: string[];
  from?: string;
  to?: string;
}

const SECRET_KEY = /secret|private_key|password/i;
const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
const item = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** `undefined` on the Cognito side equals an empty list or false (Describe leaves those out). */
function sameScalar(want: unknown, have: unknown): boolean {
  if (have === undefined && want === false) return true;
  return JSON.stringify(want) === JSON.stringify(have);
}

/** How a changed value is printed; default JSON. */
export type Display = (path: string, value: unknown) => string;

export function diffRequest(
  want: Record<string, unknown>,
  have: Record<string, unknown> | undefined,
  prefix = '',
  display: Display = (_p, v) => show(v),
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [key, w] of Object.entries(want)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const h = have?.[key];
    const secret = SECRET_KEY.test(key);
    if (isPlainObject(w)) {
      changes.push(...diffRequest(w, isPlainObject(h) ? h : undefined, path, display));
    } else if (Array.isArray(w)) {
      const hs = Array.isArray(h) ? h.map(item) : [];
      const ws = w.map(item);
      const added = ws.filter((x) => !hs.includes(x));
      const removed = hs.filter((x) => !ws.includes(x));
      if (added.length || removed.length) changes.push({ path, ...(added.length ? { added } : {}), ...(removed.length ? { removed } : {}) });
    } else if (!sameScalar(w, h)) {
      changes.push(
        secret
          ? { path, from: h === undefined ? '(unset)' : '(secret)', to: '(new secret)' }
          : { path, from: h === undefined ? '(unset)' : display(path, h), to: display(path, w) },
      );
    }
  }
  return changes;
}

/** Every leaf of a request to create, as additions. */
export function creationFields(want: Record<string, unknown>, prefix = ''): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [key, w] of Object.entries(want)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(w)) out.push(...creationFields(w, path));
    else if (Array.isArray(w)) out.push({ path, added: w.map(item) });
    else out.push({ path, to: SECRET_KEY.test(key) ? '(secret)' : show(w) });
  }
  return out;
}

export function formatChanges(changes: FieldChange[], creating = false): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.added || c.removed) {
      lines.push(`  ${creating ? '+' : '~'} ${c.path}`);
      for (const a of c.added ?? []) lines.push(`      + ${a}`);
      for (const r of c.removed ?? []) lines.push(`      - ${r}`);
    } else if (creating) {
      lines.push(`  + ${c.path}: ${c.to}`);
    } else {
      lines.push(`  ~ ${c.path}: ${c.from} -> ${c.to}`);
    }
  }
  return lines;
}

/** `base` with `over` laid on top, objects merged key by key (lists and scalars replaced). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(base[k]) ? deepMerge(base[k] as Record<string, unknown>, v) : v;
  return out;
}

export function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}
