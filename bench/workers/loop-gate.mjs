// bench/gate-ab.mjs --loop: the gate of playgate-gate.mjs called in a loop inside one request,
// without HTTP, so that a change of a fraction of a microsecond shows (the load runs cannot see
// below about 3 us). POST /__setup takes the requests (`[{ path, token }]`); GET /__loop?n=N runs
// N of them in turn through gate.fetch, each a Request made here and awaited; with &floor=1 the
// same Requests are made and the stub answered without the gate (what the loop costs by itself).
import { createGate } from 'playgate/edge';
import { BROWSER, JWKS, ORIGIN, stubOrigin } from './config.mjs';

const gate = createGate({
  verifier: { algorithms: ['ES256'], keys: JWKS, audience: 'edge' },
  origin: ORIGIN,
  country: { headers: ['CF-IPCountry'] },
  fetch: stubOrigin,
});

let plan = [];

export default {
  async fetch(request, env, ctx) {
    const { pathname, searchParams } = new URL(request.url);
    if (pathname === '/__setup') {
      plan = (await request.json()).map(({ path, token }) => ({
        url: `http://gate.example${path}`, init: { headers: { ...BROWSER, authorization: `Bearer ${token}` } },
      }));
      return new Response(String(plan.length));
    }
    const n = Number(searchParams.get('n'));
    const floor = searchParams.get('floor') === '1';
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      const { url, init } = plan[i % plan.length];
      const req = new Request(url, init);
      const res = floor ? await Promise.resolve(stubOrigin()) : await gate.fetch(req, env, ctx);
      if (res.status === 200) allowed++;
    }
    return new Response(String(allowed));
  },
};
