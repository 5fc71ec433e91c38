// Browsers, web workers, Deno and workerd: `await init()` (or `initSync({ module })`) first.
import * as raw from './playgate.js';
import { install } from '../api.mjs';
import { cacheApi } from '../cache.mjs';

install(raw);
export * from './playgate.js';
export { default } from './playgate.js';
export { DECISION_CODES } from '../api.mjs';
// The cache HTTP client and entitlement store (js/cache.mjs), bound to this module's classes.
export const { CacheClient, CacheError, EntitlementStore } = cacheApi(raw);
