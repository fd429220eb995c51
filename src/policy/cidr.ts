/**
 * IP addresses and CIDR ranges, IPv4 and IPv6. Web APIs only.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack Node socket reports for an IPv4 peer)
 * are treated as the IPv4 address, and a mapped CIDR (`::ffff:10.0.0.0/104`) as the IPv4 range, so one
 * `10.0.0.0/8` entry covers both spellings.
 */
export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

const IPV4_PART = /^(0|[1-9]\d{0,2})$/;

/** Strict dotted-quad: four decimal parts 0-255, no leading zeros (`010` is octal to some parsers). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseHextets(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  for (const h of text.split(':')) {
    if (!HEXTET.test(h)) return undefined;
    out.push(parseInt(h, 16));
  }
  return out;
}

/** RFC 4291 text form, with `::` compression and an optional trailing dotted quad. No zone ids. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (!text.includes(':')) return undefined;
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "ffff:1.2.3.4" leaves "ffff:" whose trailing colon is the separator.
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseHextets(halves[0]!);
    const rest = parseHextets(halves[1]!);
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = parseHextets(body);
    if (!all) return undefined;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { version: 4, bytes: v6.slice(12) };
  return { version: 6, bytes: v6 };
}

/** Canonical text: dotted quad, or RFC 5952 lowercase with the longest zero run compressed. */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export type CidrParseResult = { ok: true; cidr: Cidr } | { ok: false; message: string };

/**
 * Parses `address/prefix`; a bare address is a single host (/32 or /128). Host bits must be zero:
 * `10.0.0.1/8` is almost always a typo, so it is refused with the network address as the fix.
 */
export function parseCidr(text: string): CidrParseResult {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseIPv4(addrText);
  const v6 = v4 ? undefined : parseIPv6(addrText);
  if (!v4 && !v6) {
    return { ok: false, message: `"${text}" is not a CIDR; write e.g. 10.0.0.0/8 or 2001:db8::/32` };
  }
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max) {
      return { ok: false, message: `"${text}" has an invalid prefix length; write a number from 0 to ${max} after the /` };
    }
    prefix = Number(prefixText);
  }
  let ip: IpAddress = v4 ? { version: 4, bytes: v4 } : { version: 6, bytes: v6! };
  if (ip.version === 6 && isV4Mapped(ip.bytes) && prefix >= 96) {
    ip = { version: 4, bytes: ip.bytes.slice(12) };
    prefix -= 96;
  }
  const network = maskBytes(ip.bytes, prefix);
  if (!network.every((b, i) => b === ip.bytes[i])) {
    const fix = `${formatIp({ version: ip.version, bytes: network })}/${prefix}`;
    return { ok: false, message: `"${text}" has host bits set; write ${fix}` };
  }
  const canonical = `${formatIp(ip)}/${prefix}`;
  return { ok: true, cidr: { ...ip, prefix, text: canonical } };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function ipInCidr(ip: IpAddress, cidr: Cidr): boolean {
  if (ip.version !== cidr.version) return false;
  const whole = cidr.prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip.bytes[i] !== cidr.bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[whole]! & mask) === (cidr.bytes[whole]! & mask);
}

/** A compiled list of ranges. `matches` takes a parsed address or its text (unparseable text never matches). */
export interface CidrSet {
  readonly cidrs: readonly Cidr[];
  matches(ip: IpAddress | string): boolean;
}

/** Compiles CIDR texts once; throws on an invalid entry (validate config first for friendly messages). */
export function compileCidrs(texts: readonly string[]): CidrSet {
  const cidrs = texts.map((t) => {
    const r = parseCidr(t);
    if (!r.ok) throw new Error(r.message);
    return r.cidr;
  });
  return {
    cidrs,
    matches(input) {
      const ip = typeof input === 'string' ? parseIp(input) : input;
      return !!ip && cidrs.some((c) => ipInCidr(ip, c));
    },
  };
}

/** True when `address` (text or parsed) lies in `cidr`; unparseable text is never inside. */
export function cidrContains(cidr: Cidr, address: string | IpAddress): boolean {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  return !!ip && ipInCidr(ip, cidr);
}
