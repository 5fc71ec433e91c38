// Bundlers (webpack, Vite with wasm support, Rollup, esbuild): the .wasm is imported as a
// module and instantiated by the bundler, so the module is ready on import; `init` resolves.
import * as raw from './playgate.js';
import { install } from '../api.mjs';

install(raw);
export * from './playgate.js';
export { DECISION_CODES } from '../api.mjs';
export default function init() {
  return Promise.resolve();
}
export function initSync() {}
