/**
 * Deciding whether a client is a program (wants JSON, a 401) or a browser (wants HTML, a redirect).
 */

/** Pure: the highest q of Accept entries matching the predicate (0 when none match). */
function acceptQuality(accept: string, matches: (mediaType: string) => boolean): number {
  let best = 0;
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    if (!matches(type)) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (Number.isFinite(q) && q > best) best = q;
  }
  return best;
}

const isJson = (t: string) => t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
const isHtml = (t: string) => t === 'text/html' || t === 'application/xhtml+xml';

/** Pure: Accept names JSON explicitly and ranks it at least as high as HTML. */
export function acceptsJsonOverHtml(accept: string | null): boolean {
  if (!accept) return false;
  const json = acceptQuality(accept, isJson);
  return json > 0 && json >= acceptQuality(accept, isHtml);
}

function acceptsHtml(accept: string | null): boolean {
  return !!accept && acceptQuality(accept, isHtml) > 0;
}

/** What negotiation reads of a request (a Request, or the decision's request view). */
export interface NegotiationInput {
  method: string;
  headers: { get(name: string): string | null };
}

const hasXRequestedWith = (req: NegotiationInput) => (req.headers.get('x-requested-with') ?? '').trim() !== '';
const isSafeNavigation = (req: NegotiationInput) => req.method === 'GET' || req.method === 'HEAD';

/**
 * Should an unauthenticated request get 401 + JSON instead of a redirect to sign in? Yes for
 * `Accept: application/json`, any `X-Requested-With` (what oauth2-proxy and Cloudflare Access do),
 * and every method other than GET/HEAD (a redirect would lose the body).
 */
export function prefersJson(req: NegotiationInput): boolean {
  return acceptsJsonOverHtml(req.headers.get('accept')) || hasXRequestedWith(req) || !isSafeNavigation(req);
}

/**
 * Should an error be rendered as JSON? Like prefersJson, except that a non-GET/HEAD request from a
 * browser (a form post, which accepts text/html) still gets the HTML page.
 */
export function wantsJsonError(req: NegotiationInput): boolean {
  const accept = req.headers.get('accept');
  if (acceptsJsonOverHtml(accept) || hasXRequestedWith(req)) return true;
  return !isSafeNavigation(req) && !acceptsHtml(accept);
}
