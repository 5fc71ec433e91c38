// Browsers, web workers, Deno and workerd: `await init()` (or `initSync({ module })`) first.
import * as raw from './playgate.js';
import { install } from '../api.mjs';
import { cacheApi } from '../cache.mjs';

// Checked in place of the generated function of the same name: a BigInt or Symbol argument is
// a coded error, not the glue's TypeError.
export const { qualityForSize } = install(raw);
// build.sh lists the glue's public names here (js/public-exports.mjs): no internal `_` functions.
export * from './playgate.js';
export { default } from './playgate.js';
export { DECISION_CODES } from '../api.mjs';
// The cache HTTP client and entitlement store (js/cache.mjs), bound to this module's classes.
export const { CacheClient, CacheError, EntitlementStore } = cacheApi(raw);
