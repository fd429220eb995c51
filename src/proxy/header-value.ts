/**
 * Encoding identity values for HTTP header fields.
 *
 * Scheme (documented for upstream authors): a value is ASCII, and `decodeURIComponent(value)` gives
 * back the original string. Printable ASCII passes unchanged, except `%` (always `%25`) and, inside
 * lists, `,` (`%2C`, so a group name can never split into two). Control characters (CR, LF, NUL, ...),
 * DEL and every non-ASCII character are percent-encoded as UTF-8; a leading or trailing space is
 * `%20` because HTTP stacks trim field values. So `José` arrives as `Jos%C3%A9`, and a value with an
 * injected `\r\n` arrives as one harmless line: nothing is dropped, so two different names can never
 * collapse into the same header value.
 */

const encoder = new TextEncoder();

function percentEncodeUtf8(ch: string): string {
  let out = '';
  for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Pure: encodes one value by the scheme above. `inList` also encodes `,`. */
export function encodeHeaderValue(value: string, inList = false): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const plain = code >= 0x20 && code < 0x7f && ch !== '%' && !(inList && ch === ',');
    out += plain ? ch : percentEncodeUtf8(ch);
  }
  return out.replace(/^ +| +$/g, (spaces) => '%20'.repeat(spaces.length));
}

export interface BoundedValue {
  value: string;
  /** True when elements were left out (lists) or the whole value was left out (scalars). */
  truncated: boolean;
}

/**
 * Pure: a list as one header value, elements encoded and joined with `,`, holding the longest
 * prefix of whole elements that fits within maxBytes. Empty elements are skipped.
 */
export function boundedListValue(items: readonly string[], maxBytes: number): BoundedValue {
  let value = '';
  let truncated = false;
  for (const item of items) {
    if (item.length === 0) continue;
    const encoded = encodeHeaderValue(item, true);
    const next = value === '' ? encoded : `${value},${encoded}`;
    if (next.length > maxBytes) {
      truncated = true;
      break; // keep a prefix of the list: "the first N groups" is easy to reason about
    }
    value = next;
  }
  return { value, truncated };
}

/**
 * Pure: a single value, encoded; when it exceeds maxBytes it is left out entirely (value ''), never
 * cut: a cut username could be someone else's.
 */
export function boundedScalarValue(raw: string, maxBytes: number): BoundedValue {
  const value = encodeHeaderValue(raw);
  return value.length > maxBytes ? { value: '', truncated: true } : { value, truncated: false };
}
