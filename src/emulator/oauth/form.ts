/** Form-encoded request parameters, each at most once (RFC 6749 §3.1, §3.2). */
export type FormParse = { ok: true; params: Map<string, string> } | { ok: false; duplicate: string };

export function parseSingleValuedForm(body: string): FormParse {
  const params = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(body)) {
    if (params.has(k)) return { ok: false, duplicate: k };
    params.set(k, v);
  }
  return { ok: true, params };
}

export function isFormContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
