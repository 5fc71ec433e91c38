// The edge gate as a Cloudflare Worker (ES module syntax), as issue 15 shows it: `createGate`
// from `playgate/edge`, configured from the worker's bindings (workerd passes `env` to fetch,
// not to the module's top level), made once per isolate on the first request.
// Run by tests/node/workerd.test.mjs and tests/node/gate-media.test.mjs in a real workerd,
// bundled from the packed tarball the way wrangler bundles. Bindings: VERIFIER (JwtVerifier.fromJson
// options, JSON); ORIGIN (a base URL) or CACHE (CacheClient options, JSON: the cache origin);
// optional SEGMENT_TOKENS (the segmentTokens option, JSON), UNCAPPED (uncappedRenditions, JSON)
// MMDB (a MaxMind country database, a data binding), CORS (the cors option, JSON) and TIMEOUT_MS
// (the timeoutMs option, JSON: a number or null).
import { createGate } from 'playgate/edge';

let gate;

export default {
  fetch(request, env, ctx) {
    gate ??= createGate({
      verifier: JSON.parse(env.VERIFIER),
      origin: env.CACHE ? { cache: JSON.parse(env.CACHE), cacheName: 'media' } : env.ORIGIN,
      // With an MMDB binding (the .mmdb file's bytes): the country header first, else the
      // database for CF-Connecting-IP (a worker sees no socket).
      country: env.MMDB ? { headers: ['CF-IPCountry'], mmdb: env.MMDB, ipHeader: 'CF-Connecting-IP' } : { headers: ['CF-IPCountry'] },
      segmentTokens: env.SEGMENT_TOKENS ? JSON.parse(env.SEGMENT_TOKENS) : undefined,
      uncappedRenditions: env.UNCAPPED ? JSON.parse(env.UNCAPPED) : [],
      cors: env.CORS ? JSON.parse(env.CORS) : null,
      ...(env.TIMEOUT_MS ? { timeoutMs: JSON.parse(env.TIMEOUT_MS) } : {}),
    });
    return gate.fetch(request, env, ctx);
  },
};
