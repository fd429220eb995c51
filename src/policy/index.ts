/** Zero-trust policy engine: apps, policies, path normalisation, decisions. Web APIs only. */
export {
  appSchema,
  policySchema,
  ruleSchema,
  unmatchedSchema,
  type App,
  type AppInput,
  type ClaimMatcher,
  type Policy,
  type Rule,
  type Unmatched,
} from './schema';
export { ACTIONS, AUTH_METHODS, IDENTITY_SELECTORS, SELECTORS, type PolicyAction, type SelectorName } from './selectors';
export { appsSchema, validateApps, formatKeyPath, isCatchAll, regexProblem, type Apps, type ConfigIssue, type KeyPath } from './validate';
export {
  compileApps,
  compileRule,
  PolicyConfigError,
  type ClauseRule,
  type CompiledApp,
  type CompiledPolicy,
  type CompiledRule,
  type RuleContext,
  type Truth,
} from './compile';
export { evaluate, withReason, type Decision, type Effect, type PolicyRequest, type PolicyTrace, type RuleTrace } from './evaluate';
export { formatTrace, decisionExitCode } from './trace';
export { identityFromExplainArgs, type ExplainIdentityArgs } from './explain-identity';
export { matchApp } from './match-app';
export { foldPathCase, normalizePath, pathHasPrefix, unusualSpellings, type NormalizedPath } from './path';
export { compileGlob, globProblem, type CompiledGlob, type GlobResult } from './glob';
export { normalizeHost, parseHostPattern, hostMatchRank, type HostPattern } from './host';
export {
  parseIp,
  parseIPv4,
  parseIPv6,
  formatIp,
  parseCidr,
  ipInCidr,
  cidrContains,
  compileCidrs,
  type CidrParseResult,
  type Cidr,
  type CidrSet,
  type IpAddress,
} from './cidr';
export { edgeClientAddress, resolveClientAddress, parseAddressToken, type ClientAddress, type ClientAddressInput, type HeaderReader } from './client-address';
export { emailDomainMatches, emailMatches, splitEmail, canonicalText } from './email';
export { describeMethodGap, methodGaps, PROBE_METHODS, type MethodGap } from './method-gaps';
