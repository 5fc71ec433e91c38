// A floor that reads what any gate must read before it decides (the method, the URL and the
// `Authorization` header), then answers as bench/workers/noop.mjs does: the platform's own cost
// of handing a worker the request, which the no-op floor never pays. For information beside the
// targets, which are against the no-op floor.
import { MODE, ORIGIN, stubOrigin } from './config.mjs';

let read = 0; // kept, so that no reading is optimised away

export default {
  fetch(request) {
    read += request.method.length + request.url.length + (request.headers.get('authorization')?.length ?? 0);
    if (MODE === 'stub') return read > 0 ? stubOrigin() : new Response(null, { status: 500 });
    return fetch(ORIGIN + new URL(request.url).pathname);
  },
};
