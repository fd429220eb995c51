/**
 * Email comparisons for the `emails` and `email_domains` selectors.
 *
 * Domains compare exactly (no subdomains, no suffix matching), case-insensitively, after Unicode NFC, so
 * `corp.example.evil.com`, `evilcorp.example` and `corp.example.` never match `corp.example`. An address
 * with more than one `@` is refused outright: `a@evil@corp.example` means different things to different
 * mail parsers. IDNs are compared as written (lowercase + NFC), not converted to punycode.
 */
export function canonicalText(s: string): string {
  return s.normalize('NFC').toLowerCase().normalize('NFC');
}

/** Splits an address into local part and canonical domain, or undefined if it is not exactly local@domain. */
export function splitEmail(email: string): { local: string; domain: string } | undefined {
  const parts = email.split('@');
  if (parts.length !== 2) return undefined;
  const [local, domain] = parts as [string, string];
  if (local === '' || domain === '' || /\s/.test(email)) return undefined;
  return { local, domain: canonicalText(domain) };
}

/** Why a configured email domain is malformed (with the fix), or undefined. */
export function emailDomainProblem(domain: string): string | undefined {
  const fixed = domain.replace(/^.*@/, '').replace(/^\.+|\.+$/g, '');
  if (domain.includes('@')) return `"${domain}" is an email domain, not an address; write ${fixed}`;
  if (domain.startsWith('.') || domain.endsWith('.')) return `"${domain}" must not start or end with "."; write ${fixed}`;
  if (/\s/.test(domain) || domain.includes('..') || domain.includes('*')) return `"${domain}" is not a domain; write e.g. partner.example`;
  return undefined;
}

/** Why a configured email address is malformed, or undefined. */
export function emailProblem(email: string): string | undefined {
  return splitEmail(email) ? undefined : `"${email}" is not an email address (exactly one "@"); write e.g. alice@example.com`;
}

/** True when `email`'s domain is exactly one of `domains` (already canonical, see canonicalText). */
export function emailDomainMatches(email: string, domains: ReadonlySet<string>): boolean {
  const parts = splitEmail(email);
  return !!parts && !parts.domain.endsWith('.') && domains.has(parts.domain);
}

/** Case-insensitive exact address match against canonical addresses. */
export function emailMatches(email: string, emails: ReadonlySet<string>): boolean {
  return !!splitEmail(email) && emails.has(canonicalText(email));
}
