// Bundlers that import a .wasm as an ES module (webpack 5 with asyncWebAssembly, Vite 8) and
// Deno: the .wasm is imported as a module and instantiated by the bundler or the runtime, so the
// module is ready on import; `init` resolves.
import * as raw from './playgate.js';
import { install } from '../api.mjs';
import { cacheApi } from '../cache.mjs';

// Checked in place of the generated function of the same name: a BigInt or Symbol argument is
// a coded error, not the glue's TypeError.
export const { qualityForSize } = install(raw);
// build.sh lists the glue's public names here (js/public-exports.mjs): no internal `_` functions.
export * from './playgate.js';
export { DECISION_CODES } from '../api.mjs';
// The cache HTTP client and entitlement store (js/cache.mjs), bound to this module's classes.
export const { CacheClient, CacheError, EntitlementStore } = cacheApi(raw);
export default function init() {
  return Promise.resolve();
}
export function initSync() {}
