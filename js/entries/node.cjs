'use strict';
// Node's entry: node/index.cjs (require) as it is, and node/index.mjs (import) runs this same
// code (js/build-node-entries.mjs writes both). The wasm is compiled synchronously on load, so
// the package is ready at once.
//
// Node runs the package's own ES modules, the ones every other platform runs (the wasm-bindgen
// glue beside the .wasm, load.mjs, api.mjs, cache.mjs), each compiled here as the body of a
// function (esModule): the tarball carries the JS layer once, not a CommonJS copy per module.
//
// One instance per installed copy of the package: whichever of the two files loads first keeps
// its exports under a process-wide symbol named after this directory, and the other one uses
// them. So `import` and `require` share the classes (an Entitlement from one is an Entitlement
// to the other), as with a single module.
const SHARED = Symbol.for(`playgate:${__dirname}`);
// The package root, from this directory (the build writes '..' for node/, '../..' for edge/node/).
const ROOT = `${__dirname}/__ROOT__`;

module.exports = globalThis[SHARED] ?? share(load());

function load() {
  const fs = require('fs');
  const { compileFunction } = require('vm');
  const esModule = esModuleLoader(fs, compileFunction);
  const raw = esModule(`${__dirname}/../web/playgate_bg.js`);
  const { wasmLoader } = esModule(`${ROOT}/load.mjs`);
  const api = esModule(`${ROOT}/api.mjs`);
  const cache = esModule(`${ROOT}/cache.mjs`);
  wasmLoader(raw).instantiateSync({ module: fs.readFileSync(`${__dirname}/../web/playgate_bg.wasm`) });
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
}

/** Registers the instance for the other entry: fixed once set; a frozen global just shares nothing. */
function share(raw) {
  try {
    Object.defineProperty(globalThis, SHARED, { value: raw });
  } catch {
    // not extensible (a hardened realm): this entry keeps its own instance
  }
  return raw;
}

/**
 * `esModule(file)`: the exports of one of the package's ES modules, its code run as a strict
 * function body. These modules are esbuild's output: no imports, and one `export { a, b as c };`
 * list at the end, the only export; js/build-node-entries.mjs checks each one at build time
 * against Node's own import of it. Lines stay where they are (stack traces point into the file).
 */
function esModuleLoader(fs, compileFunction) {
  return function esModule(filename) {
    const text = fs.readFileSync(filename, 'utf8');
    const at = text.lastIndexOf('\nexport {');
    const end = text.indexOf('}', at);
    if (at < 0 || end < 0) throw new Error(`playgate: ${filename} is not the package's own ES module`);
    const names = [];
    for (const item of text.slice(at + '\nexport {'.length, end).split(',')) {
      const [local, exported = local] = item.trim().split(/\s+as\s+/);
      if (local !== '') names.push(`${exported}: ${local}`);
    }
    const body = `'use strict';${text.slice(0, at)}\nreturn { ${names.join(', ')} };`;
    return compileFunction(body, [], { filename })();
  };
}
