export { filterCookieHeader, cookiePairName } from './cookies';
export {
  fetchForwarder,
  forwardRequest,
  sendUpstream,
  downstreamResponse,
  upstreamRequestHeaders,
  withGatewayHeaders,
  downstreamResponseHeaders,
  type Forwarder,
  type ForwardOptions,
  type UpstreamRequest,
  type CredentialsRevocation,
} from './forward';
export { downstreamRawHeaders, upstreamRawHeaders, type DownstreamHead } from './raw-headers';
export { encodeHeaderValue, boundedListValue, boundedScalarValue } from './header-value';
export {
  BASE_IDENTITY_STRIP_RULES,
  FORWARDING_STRIP_RULES,
  HOP_BY_HOP_HEADERS,
  canonicalHeaderName,
  compileStripRules,
  isWebSocketOffer,
  matchesStripRules,
  mergeStripRules,
  removeHopByHopHeaders,
  stripIdentityHeaders,
  type HeaderStripRules,
} from './headers';
export {
  DEFAULT_CLAIM_HEADERS,
  HEADER_PRESETS,
  TRUNCATED_SUFFIX,
  headersConfigSchema,
  headersOverrideSchema,
  mapIdentityHeaders,
  mappedHeaderNames,
  mergeHeadersConfig,
  stripRulesFor,
  type HeaderPreset,
  type HeadersConfig,
  type HeadersOverride,
} from './identity-headers';
export { UpstreamError, type UpstreamErrorKind } from './upstream-error';
export { upstreamOrigin, upstreamPath, upstreamUrl } from './upstream-url';
