// playgate's edge gate as issue 15 shows it (bench/gate-workerd.mjs): createGate at the top level,
// `fetch` handing every request to it. Gate alone: the origin is the in-isolate stub, through
// createGate's `fetch` option; proxying: the loopback origin through workerd's fetch.
import { createGate } from 'playgate/edge';
import { JWKS, MODE, ORIGIN, SEGMENT_TOKENS, stubOrigin } from './config.mjs';

const gate = createGate({
  verifier: { algorithms: ['ES256'], keys: JWKS, audience: 'edge' },
  origin: ORIGIN,
  country: { headers: ['CF-IPCountry'] },
  ...(MODE === 'stub' ? { fetch: stubOrigin } : {}),
  ...(SEGMENT_TOKENS === null ? {} : { segmentTokens: SEGMENT_TOKENS }),
});

export default { fetch: (request, env, ctx) => gate.fetch(request, env, ctx) };
