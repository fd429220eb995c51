/** The shared-store seam (see types.ts). The Redis client is not exported here: it is Node-only (src/runtime/node-store.ts). */
export * from './types';
export { createMemoryStore } from './memory';
export { guardStore, type StoreGuardOptions } from './guard';
export { storeKeys } from './keys';
export { createRevocationList, type FailMode, type RevocationList, type RevocationQuery, type RevocationVerdict } from './revocation';
export { windowLimiter, type LimitAttempt, type WindowLimit, type WindowLimiter } from './limiter';
export { sharedOnce, SharedOnceTimeoutError, type SharedOnceOptions } from './once';
export { keyFromSecret, openText, sealText } from './seal';
