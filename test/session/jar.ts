/** A minimal browser cookie jar for tests: applies Set-Cookie values and renders the Cookie header. */
export class Jar {
  readonly cookies = new Map<string, string>();

  apply(setCookies: readonly string[]): this {
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/;\s*Max-Age=0(;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  header(): string | null {
    if (this.cookies.size === 0) return null;
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** Attributes of one Set-Cookie value, keyed by lower-case attribute name. */
export function attributesOf(setCookie: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair = '', ...rest] = setCookie.split(/;\s*/);
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf('=');
    attrs.set((i === -1 ? part : part.slice(0, i)).toLowerCase(), i === -1 ? '' : part.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}
