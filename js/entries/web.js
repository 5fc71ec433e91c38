// Browsers, web workers, a page with an import map: `await init()` first (it fetches
// playgate_bg.wasm beside this file), or `initSync({ module })` with a compiled module.
import * as raw from './playgate_bg.js';
import { wasmLoader } from '../load.mjs';
import { axinomMessage, gateFactory, install, installJwt, installScopes, manifestFilter, tokenDecoder } from '../api.mjs';
import { cacheClientClass, entitlementStoreClass } from '../cache.mjs';

const { instantiate, instantiateSync } = wasmLoader(raw);

// The Entitlement class (js/decisions.mjs: documents live in bounded wasm slots), and a checked
// qualityForSize in place of the generated one (a BigInt or Symbol argument is a coded error,
// not the glue's TypeError).
export const { Entitlement, qualityForSize } = install(raw);
installJwt(raw); // @edge: the edge module's entries only (build.sh drops this line from the player's)
// The scope API is installed by whichever of these a bundle keeps (calls marked pure): an app that
// names none of them carries none of it, and can hold no scope.
export const PermissionScope = /* @__PURE__ */ installScopes(raw);
export const decodeMomentoToken = /* @__PURE__ */ tokenDecoder(raw);
// build.sh lists the glue's public names here (js/public-exports.mjs): no internal `_` functions.
export * from './playgate_bg.js';
export { DECISION_CODES, packagerFilters } from '../api.mjs';
// Manifests capped to a decision (pure: a bundle that does not name it leaves its JS out).
export const filterManifest = /* @__PURE__ */ manifestFilter(raw);
// The Axinom DRM license message: server side only (the communication key is a secret).
export const axinomLicenseMessage = /* @__PURE__ */ axinomMessage(raw); // @edge
// The cache HTTP client and entitlement store (js/cache.mjs), bound to this module's classes;
// pure, so that a bundle without them leaves them out.
export { CacheError } from '../cache.mjs';
export const CacheClient = /* @__PURE__ */ cacheClientClass(/* @__PURE__ */ tokenDecoder(raw));
export const EntitlementStore = /* @__PURE__ */ entitlementStoreClass(Entitlement, raw);
// The edge gate (js/gate.mjs): a fetch handler that verifies (WebCrypto), checks and proxies (from
// an origin URL or the cache). In both modules: a worker that needs only the gate imports it from
// the player module, a third of the edge module's size.
export const createGate = /* @__PURE__ */ gateFactory(raw, CacheClient);

/** wasm-bindgen's init: `init()`, `init({ module_or_path })` with a URL, Response, Module or bytes. */
export default function init(input) {
  return instantiate(input, undefined, () => new URL('playgate_bg.wasm', import.meta.url));
}

/** wasm-bindgen's initSync: `initSync({ module })` with a WebAssembly.Module or the .wasm's bytes. */
export function initSync(input) {
  return instantiateSync(input);
}
