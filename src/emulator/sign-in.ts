/**
 * Test helper: drives the hosted UI's sign-in form with plain fetch, like a browser would (manual
 * redirects, cookies per host, the hidden `_csrf` field). Also works through `identity_provider=…`
 * (the emulated provider's form takes the same fields).
 *
 * @param hostedUrl the full /oauth2/authorize URL the gateway redirected to
 * @param challenges answers for the hosted UI's second step, if the user gets one: the new password
 *        (NEW_PASSWORD_REQUIRED) and a function giving the current authenticator code (SOFTWARE_TOKEN_MFA)
 * @returns the URL the hosted UI finally redirects to (the redirect_uri with `code` and `state`, or
 *          with `error`); it is not fetched.
 */
export interface ChallengeAnswers {
  newPassword?: string;
  totpCode?: () => string;
}

export async function signInWithPassword(hostedUrl: string, username: string, password: string, challenges: ChallengeAnswers = {}): Promise<string> {
  const redirectUri = new URL(hostedUrl).searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error('signInWithPassword: the authorize URL has no redirect_uri');
  const target = new URL(redirectUri);
  const jar = new Map<string, Map<string, string>>();
  let url = hostedUrl;
  let body: string | undefined;
  for (let hop = 0; hop < 12; hop++) {
    const host = new URL(url).host;
    const cookies = jar.get(host);
    const headers: Record<string, string> = {};
    if (cookies && cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', body, headers, redirect: 'manual' });
    storeCookies(jar, host, res.headers.getSetCookie());
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.origin === target.origin && next.pathname === target.pathname) return next.toString();
      url = next.toString();
      body = undefined;
      continue;
    }
    const html = await res.text();
    const error = /id="(?:loginErrorMessage|errorMessage)"[^>]*>([^<]*)</.exec(html)?.[1];
    const challengeForm = /<form[^>]*\saction="([^"]*)"[^>]*name="(newPasswordForm|mfaForm)"/.exec(html);
    if (challengeForm && res.status === 200 && !error) {
      const answer =
        challengeForm[2] === 'newPasswordForm'
          ? challenges.newPassword !== undefined
            ? { new_password: challenges.newPassword }
            : undefined
          : challenges.totpCode
            ? { code: challenges.totpCode() }
            : undefined;
      if (!answer) throw new Error(`signInWithPassword: the hosted UI asks for ${challengeForm[2] === 'mfaForm' ? 'an MFA code' : 'a new password'}`);
      const fields = hiddenFields(html);
      for (const [k, v] of Object.entries(answer)) fields.set(k, v);
      url = new URL(unescapeHtml(challengeForm[1]!), url).toString();
      body = fields.toString();
      continue;
    }
    if (body !== undefined || res.status !== 200 || error) {
      throw new Error(`signInWithPassword: sign-in failed (HTTP ${res.status}): ${unescapeHtml(error ?? 'no sign-in form')}`);
    }
    const action = /<form[^>]*\saction="([^"]*)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`signInWithPassword: no sign-in form at ${new URL(url).pathname}`);
    const fields = hiddenFields(html);
    fields.set('username', username);
    fields.set('password', password);
    url = new URL(unescapeHtml(action), url).toString();
    body = fields.toString();
  }
  throw new Error('signInWithPassword: too many redirects');
}

function hiddenFields(html: string): URLSearchParams {
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(unescapeHtml(m[1]!), unescapeHtml(m[2]!));
  }
  return fields;
}

function storeCookies(jar: Map<string, Map<string, string>>, host: string, setCookies: string[]): void {
  for (const line of setCookies) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const cookies = jar.get(host) ?? new Map<string, string>();
    jar.set(host, cookies);
    const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
    if (expired) cookies.delete(name);
    else cookies.set(name, value);
  }
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
