export { gatewayError, type ErrorContext, type GatewayErrorKind } from './error-catalogue';
export { escapeHtml, isSafeLinkTarget, renderError, type ErrorJson, type ErrorPageOptions } from './error-page';
export { acceptsJsonOverHtml, prefersJson, wantsJsonError } from './negotiate';
export { newRequestId, REQUEST_ID_HEADER, requestIdFor } from './request-id';
