// The floor of bench/gate-workerd.mjs: a worker that decides nothing. It answers every request as
// the gates answer an allowed one: from the in-isolate stub origin (gate alone) or by fetching the
// same path from the loopback origin (proxying). Its constants come from ./config.mjs, written by
// the bench for each bundle.
import { MODE, ORIGIN, stubOrigin } from './config.mjs';

export default {
  fetch(request) {
    if (MODE === 'stub') return stubOrigin();
    return fetch(ORIGIN + new URL(request.url).pathname);
  },
};
