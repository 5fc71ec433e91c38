'use strict';
// Node's entry. The wasm is compiled synchronously on load, so the package is ready at once.
// js/build-node-entries.mjs ships this code twice, each as one file: node/index.cjs (the three
// require() calls below replaced by the code of those modules, each in its own function scope)
// and node/index.mjs (the same code run by an ES module, so that `import` does not start Node's
// CommonJS loader).
//
// One instance per installed copy of the package: whichever of the two files loads first keeps
// its exports under a process-wide symbol named after this directory, and the other one uses
// them. So `import` and `require` share the classes (an Entitlement from one is an Entitlement
// to the other), as with a single module.
const SHARED = Symbol.for(`playgate:${__dirname}`);
// (The function is parenthesised so that V8 compiles it with the file instead of pre-parsing its
// 78 KB first and parsing it again on the call.)
module.exports = globalThis[SHARED] ?? share((function load() {
  const raw = require('./playgate.cjs');
  const api = require('../api.cjs');
  const cache = require('../cache.cjs');
  Object.assign(raw, api.install(raw)); // Entitlement, and the checked qualityForSize in place of the generated one
  raw.PermissionScope = api.installScopes(raw);
  raw.decodeMomentoToken = api.tokenDecoder(raw); // its scopes are PermissionScopes
  if (raw.JwtVerifier) api.installJwt(raw); // the edge module
  raw.DECISION_CODES = api.DECISION_CODES;
  if (raw._filterManifest) raw.filterManifest = api.manifestFilter(raw);
  if (raw._axinomLicenseMessage) raw.axinomLicenseMessage = api.axinomMessage(raw); // the edge module
  raw.packagerFilters = api.packagerFilters;
  raw.CacheClient = cache.cacheClientClass(raw.decodeMomentoToken);
  raw.CacheError = cache.CacheError;
  raw.EntitlementStore = cache.entitlementStoreClass(raw.Entitlement, raw);
  raw.createGate = api.gateFactory(raw, raw.CacheClient); // the edge gate (js/gate.mjs), in both modules
  raw.default = function init() {
    return Promise.resolve();
  };
  raw.initSync = function initSync() {};
  // The public surface: the glue also exports the binding layer's internal functions (`_io`,
  // `_takeError`, ...), which the API layer has already taken.
  const entry = {};
  for (const name of Object.keys(raw)) if (!name.startsWith('_')) entry[name] = raw[name];
  return entry;
})());

/** Registers the instance for the other entry: fixed once set; a frozen global just shares nothing. */
function share(raw) {
  try {
    Object.defineProperty(globalThis, SHARED, { value: raw });
  } catch {
    // not extensible (a hardened realm): this entry keeps its own instance
  }
  return raw;
}

/** Runs a module's code (inlined by the build) as Node's loader would: its own scope and exports. */
function inline(body) {
  const module = { exports: {} };
  body(module, module.exports);
  return module.exports;
}
