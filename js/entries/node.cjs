'use strict';
// Node (require): the wasm is compiled synchronously on load, so it is ready on require.
// build.sh inlines the three require() calls below (the package ships this entry as one file),
// each module body in its own function scope, as Node's own loader would wrap it.
function inline(body) {
  const module = { exports: {} };
  body(module, module.exports);
  return module.exports;
}
const raw = require('./playgate.cjs');
const api = require('../api.cjs');
const cache = require('../cache.cjs');

api.install(raw);
raw.DECISION_CODES = api.DECISION_CODES;
Object.assign(raw, cache.cacheApi(raw));
raw.default = function init() {
  return Promise.resolve();
};
raw.initSync = function initSync() {};
module.exports = raw;
