'use strict';
// Node (require): the wasm is compiled synchronously on load, so it is ready on require.
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
