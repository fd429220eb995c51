export { ERROR_CATALOGUE, ErrorCode, errorResponse, gatewayError, type CatalogueEntry, type ErrorContext } from './error-catalogue';
export { escapeHtml, isSafeLinkTarget, PAGE_STYLE, renderError, type ErrorJson, type ErrorPageOptions } from './error-page';
export { acceptsJsonOverHtml, prefersJson, wantsJsonError, type NegotiationInput } from './negotiate';
export { newRequestId, REQUEST_ID_HEADER, requestIdFor } from './request-id';
export { traceContextFor, type TraceContext } from './trace-context';
