// Browsers, web workers, Deno and workerd: `await init()` (or `initSync({ module })`) first.
import * as raw from './playgate.js';
import { install } from '../api.mjs';

install(raw);
export * from './playgate.js';
export { default } from './playgate.js';
export { DECISION_CODES } from '../api.mjs';
